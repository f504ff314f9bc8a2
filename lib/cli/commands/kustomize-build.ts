import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildKustomization, type Reorder } from '../../kustomize/index.js';
import { findKustomizationFile } from '../../kustomize/kustomization-file.js';
import { DiskFileSystem } from '../../adapters/local/disk-file-system.js';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../io.js';

export interface KustomizeBuildOptions {
  dir: string;
  reorder?: Reorder;
  overlay?: string;
  out?: string;
}

/**
 * `stageline kustomize build`: a directory holding a kustomization is built like `kustomize build`;
 * a project root builds every overlay of its `_kustomize/overlays/`.
 */
export async function kustomizeBuildCommand(options: KustomizeBuildOptions, io: CliIo): Promise<void> {
  const fs = new DiskFileSystem();
  const dir = resolve(io.cwd, options.dir);
  if (!fs.isDirectory(dir)) {
    throw new UsageError(`${options.dir}: no such directory`, { hint: 'pass a kustomization directory or a project root' });
  }
  if (findKustomizationFile(fs, dir) !== undefined && options.overlay === undefined) {
    const { yaml } = buildKustomization(fs, dir, { reorder: options.reorder ?? 'legacy' });
    if (options.out) writeAtomically(join(resolve(io.cwd, options.out), 'output.yaml'), yaml);
    else process.stdout.write(yaml);
    return;
  }
  const overlaysDir = join(dir, '_kustomize', 'overlays');
  if (!fs.isDirectory(overlaysDir)) {
    throw new UsageError(`${options.dir}: neither a kustomization directory nor a project with _kustomize/overlays/`, {
      hint: 'run it in a directory with kustomization.yaml, or in a project root (see `stageline kustomize init --new`)',
    });
  }
  const overlays = fs.readDir(overlaysDir).filter((name) => fs.isDirectory(join(overlaysDir, name)));
  const selected = options.overlay === undefined ? overlays : overlays.filter((name) => name === options.overlay);
  if (selected.length === 0) {
    throw new UsageError(`overlay "${options.overlay}" not found in ${overlaysDir}`, { hint: `known overlays: ${overlays.join(', ') || '(none)'}` });
  }
  // Build everything before writing anything: a failing overlay leaves no half-written output.
  const built = selected.map((name) => ({ name, yaml: buildKustomization(fs, join(overlaysDir, name), { reorder: options.reorder ?? 'legacy' }).yaml }));
  if (options.out) {
    const outDir = resolve(io.cwd, options.out);
    for (const { name, yaml } of built) writeAtomically(join(outDir, `${name}.yaml`), yaml);
    io.err(`wrote ${built.length} overlay(s) to ${options.out}`);
    return;
  }
  process.stdout.write(built.map(({ name, yaml }) => `# overlay: ${name}\n${yaml}`).join('---\n'));
}

function writeAtomically(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}
