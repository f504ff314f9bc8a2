import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MemoryFileSystem } from '../../../../lib/kustomize/memory-file-system.js';

/** The kustomize conformance corpus (read in place, never copied into the project). */
export const CORPUS_DIR = resolve(process.env.STAGELINE_KUSTOMIZE_CONFORMANCE ?? join(process.cwd(), '../shared/conformance/kustomize'));
export const CORPUS_CASES = join(CORPUS_DIR, 'cases');
export const HAVE_CORPUS = existsSync(CORPUS_CASES);


/** A case's input/ tree as a file system rooted at "/". */
export function loadCaseInput(caseName: string): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  const inputDir = join(CORPUS_CASES, caseName, 'input');
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full, `${prefix}/${entry}`);
      else fs.writeFile(`${prefix}/${entry}`, new Uint8Array(readFileSync(full)));
    }
  };
  walk(inputDir, '');
  return fs;
}

export function readCaseExpected(caseName: string): string {
  return readFileSync(join(CORPUS_CASES, caseName, 'expected.yaml'), 'utf8');
}

export function listCases(): string[] {
  return HAVE_CORPUS ? readdirSync(CORPUS_CASES) : [];
}
