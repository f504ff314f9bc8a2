import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryArtifactStore, etagOf } from '../../../../lib/adapters/local/directory-artifact-store.js';
import { isPreconditionFailed, PreconditionFailed } from '../../../../lib/ports/artifact-store.js';

let root: string;
let store: DirectoryArtifactStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stageline-store-'));
  store = new DirectoryArtifactStore(root);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('DirectoryArtifactStore', () => {
  it('mirrors the S3 layout: a key is a file under the root; etag = content sha256', async () => {
    const { etag } = await store.put('runs/r1/run.json', '{"a":1}');
    expect(await readFile(join(root, 'runs', 'r1', 'run.json'), 'utf8')).toBe('{"a":1}');
    expect(etag).toBe(etagOf('{"a":1}'));
    expect(await store.get('runs/r1/run.json')).toEqual({ body: '{"a":1}', etag });
    expect(await store.get('runs/r1/missing.json')).toBeUndefined();
  });

  it('creates only if absent with ifNoneMatch: *', async () => {
    await store.put('approvals/a/decisions/ops.json', 'first', { ifNoneMatch: '*' });
    const error = await store.put('approvals/a/decisions/ops.json', 'second', { ifNoneMatch: '*' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PreconditionFailed);
    expect((await store.get('approvals/a/decisions/ops.json'))!.body).toBe('first');
  });

  it('lets exactly one of many concurrent creators win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, index) => store.put('once', `writer ${index}`, { ifNoneMatch: '*' })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected' && isPreconditionFailed(result.reason))).toHaveLength(19);
  });

  it('compares and swaps with ifMatch: a stale etag or a missing object fails', async () => {
    const { etag } = await store.put('runs/r1/run.json', 'v1');
    const next = await store.put('runs/r1/run.json', 'v2', { ifMatch: etag });
    await expect(store.put('runs/r1/run.json', 'v3', { ifMatch: etag })).rejects.toBeInstanceOf(PreconditionFailed);
    expect((await store.get('runs/r1/run.json'))!).toEqual({ body: 'v2', etag: next.etag });
    await expect(store.put('runs/r2/run.json', 'x', { ifMatch: etag })).rejects.toBeInstanceOf(PreconditionFailed);
  });

  it('serialises concurrent read-modify-write loops without losing an update', async () => {
    await store.put('counter', '0');
    const increment = async () => {
      for (;;) {
        const current = (await store.get('counter'))!;
        try {
          await store.put('counter', String(Number(current.body) + 1), { ifMatch: current.etag });
          return;
        } catch (error) {
          if (!isPreconditionFailed(error)) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, increment));
    expect((await store.get('counter'))!.body).toBe('10');
  });

  it('lists keys by prefix, sorted, without temp or lock files', async () => {
    await store.put('runs/r1/tasks/0-dev.json', 'a');
    await store.put('runs/r1/run.json', 'b');
    await store.put('runs/r10/run.json', 'c');
    await store.put('deployed/acme/app-dev/hello.yaml', 'd');
    expect(await store.list('runs/r1/')).toEqual(['runs/r1/run.json', 'runs/r1/tasks/0-dev.json']);
    expect(await store.list('runs/r1')).toEqual(['runs/r1/run.json', 'runs/r1/tasks/0-dev.json', 'runs/r10/run.json']);
    expect(await store.list('')).toHaveLength(4);
    expect(await store.list('nothing/')).toEqual([]);
    expect((await readdir(join(root, 'runs', 'r1'))).sort()).toEqual(['run.json', 'tasks']);
  });

  it('deletes, and deleting a missing object is fine', async () => {
    await store.put('runs/r1/cancel', '');
    await store.delete('runs/r1/cancel');
    await store.delete('runs/r1/cancel');
    expect(await store.get('runs/r1/cancel')).toBeUndefined();
  });

  it.each(['../escape', '/abs', 'a//b', 'a/./b', ''])('refuses the key %j', async (key) => {
    await expect(store.put(key, 'x')).rejects.toThrow(/invalid store key/);
  });
});
