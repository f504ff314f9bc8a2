import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '../../../lib/adapters/aws/s3-artifact-store.js';
import { isPreconditionFailed, PreconditionFailed } from '../../../lib/ports/artifact-store.js';
import { createRun, requireRun, updateRun, type RunRecord } from '../../../lib/pipeline/workflow/records.js';
import { startMotoS3, type MotoS3 } from './moto-s3.js';

// The S3 store over real HTTP against moto (an emulated account): conditional writes are moto's
// own (412 PreconditionFailed), as are listing pages, etags and deletes. One server for the file;
// each test gets its own bucket.
let s3: MotoS3;
let bucketCount = 0;

async function freshStore(options: { listPageSize?: number } = {}): Promise<S3ArtifactStore> {
  const bucket = `stageline-test-${++bucketCount}`;
  await s3.createBucket(bucket);
  return new S3ArtifactStore({ bucket, client: s3.client, ...options });
}

beforeAll(async () => {
  s3 = await startMotoS3();
});

afterAll(async () => {
  await s3?.close();
});

describe('S3ArtifactStore against S3 (moto)', () => {
  it('reads back what it wrote, with the etag S3 returned', async () => {
    const store = await freshStore();

    const { etag } = await store.put('runs/r1/run.json', '{"a":1}\n');
    const object = await store.get('runs/r1/run.json');

    expect(object).toEqual({ body: '{"a":1}\n', etag });
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('returns undefined for a missing key, and deleting a missing key is not an error', async () => {
    const store = await freshStore();

    expect(await store.get('runs/nothing/run.json')).toBeUndefined();
    await expect(store.delete('runs/nothing/run.json')).resolves.toBeUndefined();
  });

  it('deletes an object: it reads as absent, leaves the listing, and can be created once again', async () => {
    const store = await freshStore();
    await store.put('locks/acme/app-dev/svc.json', '{"holder":"r1"}', { ifNoneMatch: '*' });
    await store.put('locks/acme/app-dev/other.json', '{}');

    await store.delete('locks/acme/app-dev/svc.json');

    expect(await store.get('locks/acme/app-dev/svc.json')).toBeUndefined();
    expect(await store.list('locks/acme/')).toEqual(['locks/acme/app-dev/other.json']);
    await expect(store.put('locks/acme/app-dev/svc.json', '{"holder":"r2"}', { ifNoneMatch: '*' })).resolves.toMatchObject({ etag: expect.any(String) });
  });

  it('creates once with ifNoneMatch: the second create fails and the first body stays', async () => {
    const store = await freshStore();

    await store.put('approvals/a1/decisions/ops.json', 'first', { ifNoneMatch: '*' });
    const second = store.put('approvals/a1/decisions/ops.json', 'second', { ifNoneMatch: '*' });

    await expect(second).rejects.toBeInstanceOf(PreconditionFailed);
    expect((await store.get('approvals/a1/decisions/ops.json'))?.body).toBe('first');
  });

  it('lets exactly one of many concurrent creates win', async () => {
    const store = await freshStore();

    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.put('runs/r1/cancel', `writer ${i}`, { ifNoneMatch: '*' })));

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected' && isPreconditionFailed(result.reason))).toHaveLength(5);
  });

  it('compare-and-swap: a write with the current etag succeeds, one with a stale etag fails', async () => {
    const store = await freshStore();
    const first = await store.put('runs/r1/run.json', 'v1');
    const second = await store.put('runs/r1/run.json', 'v2', { ifMatch: first.etag });

    const stale = store.put('runs/r1/run.json', 'v3', { ifMatch: first.etag });

    await expect(stale).rejects.toSatisfy((error) => isPreconditionFailed(error) && error.key === 'runs/r1/run.json');
    expect(await store.get('runs/r1/run.json')).toEqual({ body: 'v2', etag: second.etag });
  });

  it('ifMatch on a missing object is a failed condition too', async () => {
    const store = await freshStore();

    await expect(store.put('runs/r9/run.json', 'v1', { ifMatch: '"0123456789abcdef0123456789abcdef"' })).rejects.toBeInstanceOf(PreconditionFailed);
  });

  it('lists every key under a prefix across pages, sorted', async () => {
    const store = await freshStore({ listPageSize: 10 });
    const keys = Array.from({ length: 35 }, (_, i) => `runs/r1/tasks/${String(34 - i).padStart(2, '0')}-app.json`);
    await Promise.all(keys.map((key) => store.put(key, '{}')));
    await store.put('runs/r10/run.json', '{}');
    await store.put('runs/r2/run.json', '{}');

    const listed = await store.list('runs/r1/');

    expect(listed).toHaveLength(35);
    expect(listed).toEqual([...keys].sort());
    expect(await store.list('runs/')).toHaveLength(37);
  });

  it('keeps a run record consistent under concurrent read-modify-write (the domain retries on conflict)', async () => {
    const store = await freshStore();
    const now = new Date('2026-01-01T00:00:00Z');
    const run: RunRecord = {
      schemaVersion: 1,
      runId: 'r1',
      build: { org: 'acme', service: 'svc', commitSha: 'abcdef1', branch: 'main', image: 'svc:1', triggeredBy: 'dev@acme.io' },
      status: 'RUNNING',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      tasks: [],
      skipped: [],
      warnings: [],
    };
    expect(await createRun(store, run)).toBe(true);
    expect(await createRun(store, run)).toBe(false);
    const refusedBefore = s3.stats.preconditionFailed;

    await Promise.all(Array.from({ length: 5 }, (_, i) => updateRun(store, 'r1', (record) => void record.warnings.push(`w${i}`), now)));

    expect((await requireRun(store, 'r1')).warnings.sort()).toEqual(['w0', 'w1', 'w2', 'w3', 'w4']);
    // Some writers lost a compare-and-swap to moto's own 412 and retried.
    expect(s3.stats.preconditionFailed).toBeGreaterThan(refusedBefore);
  });

  // An SDK too old for S3 conditional writes drops IfNoneMatch/IfMatch silently: fail closed.
  it('refuses to send a conditional write the SDK would send without its condition header', async () => {
    const client = s3.newClient();
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        delete request.headers['if-none-match'];
        return next(args);
      },
      { step: 'build', name: 'simulateOldSdk' },
    );
    const bucket = `stageline-test-${++bucketCount}`;
    await s3.createBucket(bucket);
    const store = new S3ArtifactStore({ bucket, client });
    await expect(store.put('runs/r1/cancel', 'x', { ifNoneMatch: '*' })).rejects.toThrow('does not send S3 conditional writes');
    expect(await store.get('runs/r1/cancel')).toBeUndefined();
  });
});
