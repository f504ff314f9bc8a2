import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { buildKustomization, MemoryFileSystem } from '../../lib/kustomize/index.js';

/**
 * The real-world corpus (../shared/realworld: a tarball of 567 kustomization directories from 16
 * public projects and the sha256 of kustomize v5.6.0's output for each). It is read from where it
 * lives and extracted to a temporary directory at test time; it is never copied into the project.
 */
export function realworldDirectory(): string {
  return resolve(process.env.STAGELINE_KUSTOMIZE_REALWORLD ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'realworld'));
}

export interface RealworldCorpus {
  /** Directories, relative to the corpus root, in dirs.txt order. */
  dirs: string[];
  /** sha256 of `kustomize build DIR`'s stdout, by directory. */
  expected: Map<string, string>;
  /** The whole tree, rooted at "/" (a directory `a/b` is built as `/a/b`). */
  fs: MemoryFileSystem;
}

/** Extracts the tarball to a temporary directory, loads the tree into memory and removes the copy. */
export function loadRealworldCorpus(directory = realworldDirectory()): RealworldCorpus {
  const tarball = join(directory, 'realworld.tar.gz');
  if (!existsSync(tarball)) throw new Error(`real-world corpus not found: ${tarball} (set STAGELINE_KUSTOMIZE_REALWORLD)`);
  const scratch = mkdtempSync(join(tmpdir(), 'stageline-realworld-'));
  try {
    execFileSync('tar', ['-xzf', tarball, '-C', scratch]);
    const root = join(scratch, 'realworld');
    const fs = new MemoryFileSystem();
    const visit = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        const virtual = `/${relative(root, path)}`;
        if (statSync(path).isDirectory()) {
          fs.mkdir(virtual);
          visit(path);
        } else fs.writeFile(virtual, new Uint8Array(readFileSync(path)));
      }
    };
    visit(root);
    const dirs = readFileSync(join(root, 'dirs.txt'), 'utf8').split('\n').filter((line) => line.trim() !== '');
    const expected = new Map<string, string>();
    for (const line of readFileSync(join(root, 'expected.sha256'), 'utf8').split('\n')) {
      const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      if (match) expected.set(match[2]!, match[1]!);
    }
    return { dirs, expected, fs };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface RealworldResult {
  dir: string;
  passed: boolean;
  detail?: string;
}

/** Builds one directory as `kustomize build DIR` (legacy order) and compares the output's sha256. */
export function runRealworldDir(corpus: RealworldCorpus, dir: string): RealworldResult {
  const want = corpus.expected.get(dir);
  if (want === undefined) return { dir, passed: false, detail: 'no expected sha256' };
  let output: string;
  try {
    output = buildKustomization(corpus.fs, `/${dir}`, { reorder: 'legacy' }).yaml;
  } catch (error) {
    return { dir, passed: false, detail: `unexpected error: ${error instanceof Error ? error.message : String(error)}` };
  }
  const got = createHash('sha256').update(output, 'utf8').digest('hex');
  return got === want ? { dir, passed: true } : { dir, passed: false, detail: `sha256 ${got}, expected ${want}` };
}
