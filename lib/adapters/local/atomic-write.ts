import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StorageError } from '../../errors.js';

/** A sibling temp path: same directory, so the final rename is atomic (same filesystem). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Writes `content` to `path` so that readers see the old file or the new one, never half of it:
 * a temp file in the same directory (created with `mode`, so a secret is never world-readable even
 * for a moment), then rename over the target.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  await writeFilesAtomic([{ path, content }], mode);
}

/**
 * Several files as one step, as far as a filesystem allows: every temp file is written first
 * (any failure removes them all and leaves the targets untouched), then each is renamed into place.
 */
export async function writeFilesAtomic(files: ReadonlyArray<{ path: string; content: string }>, mode = 0o644): Promise<void> {
  const temps: Array<{ temp: string; path: string }> = [];
  let current = files[0]?.path ?? '';
  try {
    for (const file of files) {
      current = file.path;
      await ensureDirectory(dirname(file.path));
      const temp = tempPathFor(file.path);
      temps.push({ temp, path: file.path });
      await writeFile(temp, file.content, { mode, flag: 'wx' });
    }
  } catch (error) {
    await Promise.all(temps.map(({ temp }) => rm(temp, { force: true })));
    // A full disk, a quota, a read-only filesystem: one line naming the file, not a raw errno.
    throw StorageError.from(error, 'write', current, dirname(current)) ?? error;
  }
  for (const { temp, path } of temps) {
    try {
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw StorageError.from(error, 'write', path, dirname(path)) ?? error;
    }
  }
}

/**
 * `mkdir -p`. Node's recursive mkdir reports a read-only (or full) filesystem as ENOENT; creating
 * the first missing directory on its own gives the real reason (EROFS, ENOSPC…).
 */
export async function ensureDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    let missing = dir;
    while (dirname(missing) !== missing && !(await stat(dirname(missing)).then(() => true, () => false))) missing = dirname(missing);
    await mkdir(missing);
    throw error;
  }
}
