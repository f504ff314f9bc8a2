import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MemoryFileSystem } from '../../../../lib/kustomize/memory-file-system.js';
import type { ByteFileSystem } from '../../../../lib/kustomize/generators/index.js';

/** The kustomize conformance corpus (read in place, never copied into the project). */
export const CORPUS_DIR = resolve(process.env.STAGELINE_KUSTOMIZE_CONFORMANCE ?? join(process.cwd(), '../shared/conformance/kustomize'));
export const CORPUS_CASES = join(CORPUS_DIR, 'cases');
export const HAVE_CORPUS = existsSync(CORPUS_CASES);

/** A MemoryFileSystem that also serves raw bytes, as a FileSystem with binary support would. */
export class BytesMemoryFileSystem extends MemoryFileSystem implements ByteFileSystem {
  private readonly bytes = new Map<string, Uint8Array>();

  writeBytes(path: string, content: Uint8Array): void {
    this.writeFile(path, Buffer.from(content).toString('utf8'));
    this.bytes.set(path.startsWith('/') ? path : `/${path}`, content);
  }

  readFileBytes(path: string): Uint8Array {
    const real = this.realPath(path);
    return this.bytes.get(real) ?? new TextEncoder().encode(this.readFile(real));
  }
}

/** A case's input/ tree as a file system rooted at "/". */
export function loadCaseInput(caseName: string): BytesMemoryFileSystem {
  const fs = new BytesMemoryFileSystem();
  const inputDir = join(CORPUS_CASES, caseName, 'input');
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full, `${prefix}/${entry}`);
      else fs.writeBytes(`${prefix}/${entry}`, readFileSync(full));
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
