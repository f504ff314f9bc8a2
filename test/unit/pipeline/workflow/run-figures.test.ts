import { describe, expect, it } from 'vitest';
import type { GateRecord } from '../../../../lib/pipeline/approvals/gate.js';
import { FigureRecordingStore, gateTransitionFigures, runTransitionFigures } from '../../../../lib/pipeline/workflow/run-figures.js';
import type { RunRecord, RunTask } from '../../../../lib/pipeline/workflow/records.js';
import { PreconditionFailed, type ArtifactStore, type StoredObject } from '../../../../lib/ports/artifact-store.js';

const task = (index: number, env: string, extra: Partial<RunTask>): RunTask =>
  ({ index, overlay: env, env, kind: 'K', name: 'n', digest: 'd', gated: false, status: 'PENDING', references: { secrets: [], variables: [] }, ...extra }) as unknown as RunTask;

const run = (extra: Partial<RunRecord>): RunRecord => ({
  schemaVersion: 1,
  runId: 'web-abc-def',
  build: { org: 'acme', service: 'web', commitSha: 'abcdef1', branch: 'main', image: 'img', triggeredBy: 'dev@acme.io' },
  status: 'RUNNING',
  createdAt: '2026-01-01T10:00:00.000Z',
  updatedAt: '2026-01-01T10:00:00.000Z',
  tasks: [],
  skipped: [],
  warnings: [],
  ...extra,
});

describe('run figures (transitions of run.json)', () => {
  it('a run whose execution starts counts once: RunsStarted by service', () => {
    const created = run({});
    const started = run({ executionStartedAt: '2026-01-01T10:00:01.000Z' });
    expect(runTransitionFigures(created, started)).toEqual([{ name: 'RunsStarted', unit: 'Count', value: 1, service: 'web' }]);
    expect(runTransitionFigures(started, { ...started, updatedAt: 'later' })).toEqual([]);
  });

  it('a run that succeeds: RunsSucceeded, its duration, each environment deploy and the stack job of an ungated one', () => {
    const tasks = [
      task(0, 'app-dev', { status: 'SUCCEEDED', stackJobId: 'p:1', startedAt: '2026-01-01T10:01:00.000Z', finishedAt: '2026-01-01T10:03:00.000Z' }),
      task(1, 'app-prod', { gated: true, status: 'SUCCEEDED', stackJobId: 'p:2', startedAt: '2026-01-01T10:03:00.000Z', finishedAt: '2026-01-01T11:03:00.000Z' }),
    ];
    const before = run({ executionStartedAt: '2026-01-01T10:00:01.000Z', tasks });
    const after = { ...before, status: 'SUCCEEDED' as const, finishedAt: '2026-01-01T11:05:00.000Z' };
    expect(runTransitionFigures(before, after)).toEqual([
      { name: 'RunsSucceeded', unit: 'Count', value: 1, service: 'web' },
      { name: 'RunDuration', unit: 'Seconds', value: 3900, service: 'web' },
      { name: 'EnvironmentDeployDuration', unit: 'Seconds', value: 120, service: 'web', environment: 'app-dev' },
      { name: 'StackJobDuration', unit: 'Seconds', value: 120, service: 'web', environment: 'app-dev' },
      { name: 'EnvironmentDeployDuration', unit: 'Seconds', value: 3600, service: 'web', environment: 'app-prod' },
    ]);
    // Already final: a repeated write (reconcile after the Catch path) counts nothing.
    expect(runTransitionFigures(after, { ...after, updatedAt: 'later' })).toEqual([]);
  });

  it('a failed run: RunsFailed and the environment that failed; cancelled environments count nothing', () => {
    const tasks = [
      task(0, 'app-dev', { status: 'FAILED', stackJobId: 'p:1', startedAt: '2026-01-01T10:01:00.000Z', finishedAt: '2026-01-01T10:01:30.000Z' }),
      task(1, 'app-prod', { status: 'CANCELLED' }),
    ];
    const figures = runTransitionFigures(run({ tasks: [] }), run({ status: 'FAILED', finishedAt: '2026-01-01T10:02:00.000Z', tasks }));
    expect(figures.map((figure) => [figure.name, figure.environment, figure.value])).toEqual([
      ['RunsFailed', undefined, 1],
      ['RunDuration', undefined, 120],
      ['EnvironmentsFailed', 'app-dev', 1],
      ['StackJobDuration', 'app-dev', 30],
    ]);
  });

  it('superseded and cancelled runs have their own counts', () => {
    expect(runTransitionFigures(run({}), run({ status: 'SUPERSEDED' }))[0]!.name).toBe('RunsSuperseded');
    expect(runTransitionFigures(run({}), run({ status: 'CANCELLED' }))[0]!.name).toBe('RunsCancelled');
  });
});

describe('gate figures', () => {
  const gate = { service: 'web', env: 'app-prod', createdAt: '2026-01-01T10:00:00.000Z', status: 'WAITING' } as GateRecord;

  it('a decided gate: ApprovalWait from its opening to the decision', () => {
    expect(gateTransitionFigures(gate, { ...gate, status: 'APPROVED' }, new Date('2026-01-01T10:30:00.000Z'))).toEqual([
      { name: 'ApprovalWait', unit: 'Seconds', value: 1800, service: 'web', environment: 'app-prod' },
    ]);
    expect(gateTransitionFigures(gate, { ...gate, status: 'REJECTED' }, new Date('2026-01-01T10:00:10.000Z'))[0]!.value).toBe(10);
  });

  it('a gate closed by a cancel or a supersede, or re-armed, is no approval wait', () => {
    const at = new Date('2026-01-01T10:30:00.000Z');
    expect(gateTransitionFigures(gate, { ...gate, status: 'SUPERSEDED' }, at)).toEqual([]);
    expect(gateTransitionFigures(gate, gate, at)).toEqual([]);
    expect(gateTransitionFigures({ ...gate, status: 'APPROVED' }, { ...gate, status: 'APPROVED' }, at)).toEqual([]);
  });
});

class MemoryStore implements ArtifactStore {
  objects = new Map<string, StoredObject>();
  private version = 0;
  async get(key: string) {
    return this.objects.get(key);
  }
  async put(key: string, body: string, conditions: { ifNoneMatch?: '*'; ifMatch?: string } = {}) {
    const current = this.objects.get(key);
    if ((conditions.ifNoneMatch && current) || (conditions.ifMatch !== undefined && current?.etag !== conditions.ifMatch)) throw new PreconditionFailed(key, conditions);
    const etag = `e${++this.version}`;
    this.objects.set(key, { body, etag });
    return { etag };
  }
  async list(prefix: string) {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
}

describe('FigureRecordingStore', () => {
  it('notes the figures of the writes it makes, compared with what it read for them; a failed write notes nothing', async () => {
    const inner = new MemoryStore();
    const store = new FigureRecordingStore(inner);
    const key = 'runs/web-abc-def/run.json';
    await store.put(key, JSON.stringify(run({})), { ifNoneMatch: '*' });
    const read = (await store.get(key))!;
    await store.put(key, JSON.stringify(run({ executionStartedAt: 'x' })), { ifMatch: read.etag });
    await expect(store.put(key, JSON.stringify(run({ status: 'FAILED' })), { ifMatch: read.etag })).rejects.toThrow(PreconditionFailed);
    expect(store.drain().map((figure) => figure.name)).toEqual(['RunsStarted']);
    expect(store.drain()).toEqual([]);
  });

  it('passes other keys through untouched and survives a record that does not parse', async () => {
    const store = new FigureRecordingStore(new MemoryStore());
    await store.put('runs/r/tasks/0-dev.json', '{}');
    await store.put('runs/r/run.json', 'not json');
    expect(await store.list('runs/')).toEqual(['runs/r/run.json', 'runs/r/tasks/0-dev.json']);
    expect(store.drain()).toEqual([]);
  });
});
