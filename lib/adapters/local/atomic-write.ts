import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
  try {
    for (const file of files) {
      await mkdir(dirname(file.path), { recursive: true });
      const temp = tempPathFor(file.path);
      temps.push({ temp, path: file.path });
      await writeFile(temp, file.content, { mode, flag: 'wx' });
    }
  } catch (error) {
    await Promise.all(temps.map(({ temp }) => rm(temp, { force: true })));
    throw error;
  }
  for (const { temp, path } of temps) await rename(temp, path);
}
