import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryArtifactStore } from '../../../../lib/adapters/local/directory-artifact-store.js';
import { CorruptRecordError } from '../../../../lib/pipeline/errors.js';
import {
  cancelKey,
  createRun,
  listRuns,
  listRunsAndCorrupt,
  listRunsOfService,
  readCancelRequest,
  readRun,
  runKey,
  sameIdentity,
  updateRun,
  type RunRecord,
} from '../../../../lib/pipeline/workflow/records.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function store() {
  const dir = mkdtempSync(join(tmpdir(), 'stageline-records-'));
  dirs.push(dir);
  return new DirectoryArtifactStore(dir);
}

const run = (runId: string, createdAt: string): RunRecord => ({
  schemaVersion: 1,
  runId,
  build: { org: 'acme', service: 'web', commitSha: 'abc1234', branch: 'main', image: 'web:1', triggeredBy: 'dev@acme.io' },
  status: 'RUNNING',
  createdAt,
  updatedAt: createdAt,
  tasks: [],
  skipped: [],
  warnings: [],
});

describe('run records read back validated', () => {
  it.each([
    ['cut off', (text: string) => text.slice(0, 40), /not valid JSON/],
    ['empty', () => '', /the file is empty/],
    ['not an object', () => '[]', /not a JSON object/],
    ['a wrong status', (text: string) => text.replace('"RUNNING"', '"EXPLODED"'), /status "EXPLODED" is not a run status/],
    ['another run id', (text: string) => text.replace('"web-2"', '"web-9"'), /runId is "web-9", not the run's folder "web-2"/],
    ['tasks not a list', (text: string) => text.replace('"tasks": []', '"tasks": {}'), /tasks is not a list/],
  ])('%s: readRun and updateRun throw CorruptRecordError naming the file; listings skip it and report it', async (_what, corrupt, problem) => {
    const s = store();
    await createRun(s, run('web-1', '2026-01-01T00:00:00.000Z'));
    await createRun(s, run('web-2', '2026-01-02T00:00:00.000Z'));
    const text = (await s.get(runKey('web-2')))!.body;
    await s.put(runKey('web-2'), corrupt(text));

    const read = await readRun(s, 'web-2').catch((error: unknown) => error);
    expect(read).toBeInstanceOf(CorruptRecordError);
    expect((read as CorruptRecordError).message).toMatch(/^store record runs\/web-2\/run\.json is corrupt: /);
    expect((read as CorruptRecordError).message).toMatch(problem);
    await expect(updateRun(s, 'web-2', () => undefined, new Date())).rejects.toBeInstanceOf(CorruptRecordError);

    expect((await listRuns(s)).map((item) => item.runId)).toEqual(['web-1']);
    expect((await listRunsOfService(s, 'web')).map((item) => item.runId)).toEqual(['web-1']);
    const both = await listRunsAndCorrupt(s);
    expect(both.runs.map((item) => item.runId)).toEqual(['web-1']);
    expect(both.corrupt).toEqual([{ runId: 'web-2', key: 'runs/web-2/run.json', problem: expect.stringMatching(problem) }]);
  });

  it('an unreadable cancel request still cancels (its presence is what counts)', async () => {
    const s = store();
    await s.put(cancelKey('web-1'), '{"reason": "canc');
    expect(await readCancelRequest(s, 'web-1')).toMatchObject({ reason: 'cancelled', by: expect.stringContaining('unreadable') });
    expect(await readCancelRequest(s, 'web-3')).toBeUndefined();
  });

  it('identities compare trimmed and case-insensitively', () => {
    expect(sameIdentity('Dev@Acme.io  ', 'dev@acme.io')).toBe(true);
    expect(sameIdentity('dev@acme.io', 'ops@acme.io')).toBe(false);
  });
});
