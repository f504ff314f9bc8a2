import { describe, expect, it } from 'vitest';
import { jobLogKey, lastLogLines, storeJobLog } from '../../../../lib/pipeline/stack-job/job-log.js';
import { memoryStore } from '../approvals/harness.js';

describe('a stack job log in the store', () => {
  it('holds every line once flushed, and its last lines can be read back', async () => {
    const store = memoryStore();
    const key = jobLogKey('hello-abc', 2, 'production');
    const log = storeJobLog(store, key, { flushMs: 60_000 });
    for (const line of ['stack job: start', 'apply: creating', 'apply: error: quota exceeded']) log.append(line);
    expect(store.objects.has(key)).toBe(false);
    await log.close();
    expect(store.objects.get(key)).toBe('stack job: start\napply: creating\napply: error: quota exceeded\n');
    expect(await lastLogLines(store, key, 2)).toEqual(['apply: creating', 'apply: error: quota exceeded']);
    expect(key).toBe('runs/hello-abc/logs/2-production.log');
  });

  it('is capped: keeps its beginning and its newest lines, and says how many were left out', async () => {
    const store = memoryStore();
    const key = jobLogKey('r', 0, 'dev');
    const log = storeJobLog(store, key, { maxBytes: 400, flushMs: 60_000 });
    for (let index = 0; index < 200; index++) log.append(`line ${String(index).padStart(3, '0')}`);
    await log.close();
    const body = store.objects.get(key)!;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(400 + 120);
    const lines = body.trimEnd().split('\n');
    expect(lines[0]).toBe('line 000');
    expect(lines.at(-1)).toBe('line 199');
    const gap = lines.find((line) => line.startsWith('…'))!;
    const kept = lines.filter((line) => line.startsWith('line ')).length;
    expect(gap).toMatch(new RegExp(`^… ${200 - kept} lines left out`));
  });

  it('a store that refuses the write never fails the job', async () => {
    const store = { ...memoryStore(), put: async () => Promise.reject(new Error('ENOSPC: no space left on device')) };
    const log = storeJobLog(store, 'runs/r/logs/0-dev.log', { flushMs: 60_000 });
    log.append('x');
    await expect(log.close()).resolves.toBeUndefined();
  });
});
