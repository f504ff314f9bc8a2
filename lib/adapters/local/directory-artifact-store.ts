import { createHash } from 'node:crypto';
import { link, open, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PreconditionFailed, type ArtifactStore, type PutConditions, type StoredObject } from '../../ports/artifact-store.js';
import { StorageError } from '../../errors.js';
import { BuildImmutableError } from '../../pipeline/errors.js';
import { ensureDirectory, tempPathFor } from './atomic-write.js';

const LOCK_SUFFIX = '.stageline-lock';
/** A lock older than this was left by a crashed process and is broken. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 5_000;

/**
 * The ArtifactStore over a directory (`.stageline/store/`), mirroring the S3 layout: key
 * `runs/r1/run.json` is the file `<root>/runs/r1/run.json`.
 *
 * - Writes are atomic: a temp file in the same directory, then rename (readers never see half a file).
 * - `ifNoneMatch: '*'` links the temp file to the key: `link` fails if the key exists, atomically,
 *   even across processes.
 * - `ifMatch: etag` takes a per-key lock file (O_EXCL), compares, renames, unlocks.
 * - Etags are the sha256 hex of the content, so equal content has equal etags.
 */
export class DirectoryArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  async get(key: string): Promise<StoredObject | undefined> {
    const path = this.pathOf(key);
    try {
      const body = await readFile(path, 'utf8');
      return { body, etag: etagOf(body) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw StorageError.from(error, 'read', path, this.root) ?? error;
    }
  }

  /**
   * Writes the object. A write the machine refuses (a full disk, a quota, a read-only or failing
   * filesystem) is one StorageError naming the file and what to do, never a raw errno; the temp
   * file is removed and the previous object, if any, stays as it was.
   */
  async put(key: string, body: string, conditions: PutConditions = {}): Promise<{ etag: string }> {
    const path = this.pathOf(key);
    await this.refuseChangeToSealedBuild(key, body);
    try {
      return await this.write(key, path, body, conditions);
    } catch (error) {
      throw StorageError.from(error, 'write', path, this.root) ?? error;
    }
  }

  private async write(key: string, path: string, body: string, conditions: PutConditions): Promise<{ etag: string }> {
    await ensureDirectory(dirname(path));
    const temp = tempPathFor(path);
    await writeFile(temp, body, { flag: 'wx' });
    try {
      if (conditions.ifNoneMatch === '*') {
        try {
          await link(temp, path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new PreconditionFailed(key, conditions);
          throw error;
        }
      } else if (conditions.ifMatch !== undefined) {
        await this.withLock(path, async () => {
          const current = await this.get(key);
          if (!current || current.etag !== conditions.ifMatch) throw new PreconditionFailed(key, conditions);
          await rename(temp, path);
        });
      } else {
        await rename(temp, path);
      }
    } finally {
      await rm(temp, { force: true });
    }
    return { etag: etagOf(body) };
  }

  /**
   * A build's source is immutable once its build.json exists (DESIGN §4: the runs made from it,
   * queued ones included, read it later): rewriting a file with other content, or adding one, is
   * refused; writing the same content again (a repeated upload) is a no-op. build.json itself is
   * the build event and may be rewritten (another image or branch of the same source).
   */
  private async refuseChangeToSealedBuild(key: string, body: string): Promise<void> {
    const match = /^builds\/([^/]+)\/([^/]+)\/source\/(.+)$/.exec(key);
    if (!match) return;
    const [, service, commitSha, file] = match as unknown as [string, string, string, string];
    if ((await this.get(`builds/${service}/${commitSha}/build.json`)) === undefined) return;
    const current = await this.get(key);
    if (current?.body === body) return;
    throw new BuildImmutableError(service, commitSha, current === undefined ? `${file} is new` : `${file} differs`);
  }

  async list(prefix: string): Promise<string[]> {
    const slash = prefix.lastIndexOf('/');
    const start = slash === -1 ? '' : prefix.slice(0, slash);
    if (start !== '') this.pathOf(start);
    const keys: string[] = [];
    await this.walk(start, keys);
    return keys.filter((key) => key.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  private async walk(dirKey: string, keys: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dirKey === '' ? this.root : join(this.root, ...dirKey.split('/')), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      if (isInternal(entry.name)) continue;
      const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
      if (entry.isDirectory()) await this.walk(key, keys);
      else if (entry.isFile()) keys.push(key);
    }
  }

  private async withLock<T>(path: string, action: () => Promise<T>): Promise<T> {
    const lock = `${path}${LOCK_SUFFIX}`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await open(lock, 'wx');
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = await stat(lock).then((stats) => Date.now() - stats.mtimeMs, () => 0);
        if (age > STALE_LOCK_MS) await unlink(lock).catch(() => undefined);
        else if (Date.now() > deadline) throw new Error(`${lock}: store object locked for more than ${LOCK_WAIT_MS} ms`);
        else await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
      }
    }
    try {
      return await action();
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  }

  /** Keys are relative POSIX paths without `.`/`..`/empty segments; anything else would escape the root. */
  private pathOf(key: string): string {
    const segments = key.split('/');
    if (key === '' || key.includes('\\') || key.includes('\0') || segments.some((segment) => segment === '' || segment === '.' || segment === '..' || isInternal(segment))) {
      throw new Error(`invalid store key ${JSON.stringify(key)}: expected a relative path like runs/<runId>/run.json`);
    }
    return join(this.root, ...segments);
  }
}

export function etagOf(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

function isInternal(name: string): boolean {
  return name.endsWith(LOCK_SUFFIX) || /^\..*\.tmp-\d+-[0-9a-f]+$/.test(name);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR';
}
