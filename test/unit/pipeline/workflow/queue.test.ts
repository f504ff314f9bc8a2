import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../../lib/kustomize/json.js';
import { requestCancel } from '../../../../lib/pipeline/workflow/cancellation.js';
import { startNextQueued } from '../../../../lib/pipeline/workflow/queue.js';
import { buildSourcePrefix, createRun, readRun, type BuildEvent, type RunRecord, type RunStatus } from '../../../../lib/pipeline/workflow/records.js';
import { startPipeline } from '../../../../lib/pipeline/workflow/start-pipeline.js';
import { cancelRemainingStep, recordSuccessStep } from '../../../../lib/pipeline/workflow/steps.js';
import type { ArtifactStore } from '../../../../lib/ports/artifact-store.js';
import { fixedClock, type Clock } from '../../../../lib/ports/clock.js';
import type { ExecutionStarter } from '../../../../lib/ports/execution-starter.js';
import type { TaskCallbacks } from '../../../../lib/ports/task-callbacks.js';
import { memoryStore } from '../approvals/harness.js';

/** `concurrency: queue`: runs of one service and branch, one at a time, oldest first. */

class RecordingStarter implements ExecutionStarter {
  readonly started: { name: string; input: JsonObject }[] = [];
  failFor = new Set<string>();

  async start(name: string, input: JsonObject): Promise<{ executionId: string; alreadyStarted: boolean }> {
    if (this.failFor.has(name)) throw new Error('ExecutionLimitExceeded: too many executions');
    this.started.push({ name, input });
    return { executionId: `arn:aws:states:eu-west-1:111111111111:execution:sm:${name}`, alreadyStarted: false };
  }

  get names(): string[] {
    return this.started.map((entry) => entry.name);
  }
}

/** No run here waits at a gate: a callback would be a bug. */
const noCallbacks: TaskCallbacks = {
  succeed: async () => expect.unreachable('no gate is open'),
  fail: async () => expect.unreachable('no gate is open'),
  heartbeat: async () => expect.unreachable('no gate is open'),
};

/** A clock that moves one second per reading: runs get distinct, ordered createdAt. */
function tickingClock(start = '2030-01-01T12:00:00.000Z'): Clock {
  let time = Date.parse(start);
  return { now: () => new Date((time += 1000)) };
}

const build = (commitSha: string, branch = 'main', service = 'hello'): BuildEvent => ({
  org: 'acme',
  service,
  commitSha,
  branch,
  image: `${service}:${commitSha}`,
  triggeredBy: 'dev@acme.io',
});

const SERVICE = (concurrency: string) => `apiVersion: stageline.dev/v1
kind: Service
metadata: { name: hello, org: acme }
spec:
  concurrency: ${concurrency}
`;

async function upload(store: ArtifactStore, event: BuildEvent, concurrency = 'queue'): Promise<void> {
  await store.put(`${buildSourcePrefix(event.service, event.commitSha)}stageline.yaml`, SERVICE(concurrency));
}

const buildCompleted = (event: BuildEvent) => ({ source: 'stageline.build', 'detail-type': 'Build Completed', detail: event });

/** Run ids start with `<service>-` like real execution names: the queue lists a service's runs by that prefix. */
async function seedRun(store: ArtifactStore, runId: string, status: RunStatus, createdAt: string, event = build(runId)): Promise<void> {
  const run: RunRecord = { schemaVersion: 1, runId, build: event, status, createdAt, updatedAt: createdAt, tasks: [], skipped: [], warnings: [] };
  await createRun(store, run);
}

const statusOf = async (store: ArtifactStore, runId: string) => (await readRun(store, runId))?.status;

describe('startPipeline with concurrency: queue', () => {
  it('starts the first run, queues later ones of the same branch behind the newest active one, and a repeated event stays a no-op', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    const deps = { store, clock: tickingClock(), starter, callbacks: noCallbacks };
    const [a, b, c] = [build('aaaaaaa1'), build('bbbbbbb2'), build('ccccccc3')];
    for (const event of [a, b, c]) await upload(store, event);

    const first = await startPipeline(deps, buildCompleted(a));
    expect(first).toMatchObject({ started: true, queued: false });
    expect(await statusOf(store, first.runId)).toBe('RUNNING');

    const second = await startPipeline(deps, buildCompleted(b));
    expect(second).toMatchObject({ started: true, queued: true, queuedBehind: first.runId, superseded: [] });
    const queued = (await readRun(store, second.runId))!;
    expect(queued).toMatchObject({ status: 'QUEUED', queuedBehind: first.runId, tasks: [] });

    const third = await startPipeline(deps, buildCompleted(c));
    expect(third).toMatchObject({ queued: true, queuedBehind: second.runId });

    const repeated = await startPipeline(deps, buildCompleted(b));
    expect(repeated).toMatchObject({ runId: second.runId, started: false, queued: false });
    expect(await statusOf(store, second.runId)).toBe('QUEUED');
    // Only the first run's execution was started; nothing was superseded.
    expect(starter.names).toEqual([first.runId]);
    expect(starter.started[0]!.input).toEqual({ runId: first.runId, build: a });
  });

  it('does not queue behind another branch or another service', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    const deps = { store, clock: tickingClock(), starter, callbacks: noCallbacks };
    const main = build('aaaaaaa1', 'main');
    const feature = build('bbbbbbb2', 'feature/x');
    for (const event of [main, feature]) await upload(store, event);
    await seedRun(store, 'other-service-run', 'RUNNING', '2030-01-01T00:00:00.000Z', build('ddddddd4', 'main', 'other'));
    expect(await startPipeline(deps, buildCompleted(main))).toMatchObject({ queued: false });
    expect(await startPipeline(deps, buildCompleted(feature))).toMatchObject({ queued: false });
    expect(starter.started).toHaveLength(2);
  });

  it('leaves supersede and parallel as they were: nothing is ever QUEUED', async () => {
    for (const policy of ['supersede', 'parallel']) {
      const store = memoryStore();
      const starter = new RecordingStarter();
      const deps = { store, clock: tickingClock(), starter, callbacks: noCallbacks };
      const [a, b] = [build('aaaaaaa1'), build('bbbbbbb2')];
      for (const event of [a, b]) await upload(store, event, policy);
      const first = await startPipeline(deps, buildCompleted(a));
      const second = await startPipeline(deps, buildCompleted(b));
      expect(second.queued).toBe(false);
      expect(starter.names).toEqual([first.runId, second.runId]);
      expect(await statusOf(store, second.runId)).toBe('RUNNING');
      expect(second.superseded).toEqual(policy === 'supersede' ? [first.runId] : []);
    }
  });
});

describe('when a run ends, the oldest queued run of its branch starts', () => {
  it('Record success starts the oldest queued run; the next one waits for it', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    const clock = fixedClock('2030-01-01T13:00:00.000Z');
    await seedRun(store, 'hello-run-a', 'RUNNING', '2030-01-01T12:00:00.000Z');
    await seedRun(store, 'hello-run-c', 'QUEUED', '2030-01-01T12:00:03.000Z');
    await seedRun(store, 'hello-run-b', 'QUEUED', '2030-01-01T12:00:02.000Z');
    await seedRun(store, 'hello-run-x', 'QUEUED', '2030-01-01T12:00:01.000Z', build('xxxxxxx9', 'other-branch'));

    await recordSuccessStep({ store, clock, starter }, { runId: 'hello-run-a' });
    expect(starter.names).toEqual(['hello-run-b']);
    expect(starter.started[0]!.input).toEqual({ runId: 'hello-run-b', build: build('hello-run-b') });
    expect(await statusOf(store, 'hello-run-b')).toBe('RUNNING');
    expect(await statusOf(store, 'hello-run-c')).toBe('QUEUED');
    expect(await statusOf(store, 'hello-run-x')).toBe('QUEUED');

    await cancelRemainingStep({ store, clock, starter }, { runId: 'hello-run-b', failure: { Error: 'Stageline.StackJobFailed', Cause: 'exit 3' } });
    expect(starter.names).toEqual(['hello-run-b', 'hello-run-c']);
  });

  it('two runs that finish at once start the queued run exactly once (compare-and-swap)', async () => {
    const store = racingStore(memoryStore(), 2);
    const starter = new RecordingStarter();
    const clock = fixedClock('2030-01-01T13:00:00.000Z');
    // Two runs of the lane (e.g. started before the service switched to queue) finish together.
    await seedRun(store, 'hello-run-a1', 'RUNNING', '2030-01-01T12:00:00.000Z');
    await seedRun(store, 'hello-run-a2', 'RUNNING', '2030-01-01T12:00:01.000Z');
    await seedRun(store, 'hello-run-b', 'QUEUED', '2030-01-01T12:00:02.000Z');
    await seedRun(store, 'hello-run-c', 'QUEUED', '2030-01-01T12:00:03.000Z');
    store.arm();

    await Promise.all([
      recordSuccessStep({ store, clock, starter }, { runId: 'hello-run-a1' }),
      cancelRemainingStep({ store, clock, starter }, { runId: 'hello-run-a2', failure: { Error: 'Stageline.Rejected', Cause: 'no' } }),
    ]);
    expect(store.listsSeenTogether).toBe(2); // both saw both runs finished and raced for run-b
    expect(starter.names).toEqual(['hello-run-b']);
    expect(await statusOf(store, 'hello-run-b')).toBe('RUNNING');
    expect(await statusOf(store, 'hello-run-c')).toBe('QUEUED');
  });

  it('many concurrent callers of startNextQueued start one run', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    const clock = fixedClock('2030-01-01T13:00:00.000Z');
    await seedRun(store, 'hello-run-b', 'QUEUED', '2030-01-01T12:00:02.000Z');
    await seedRun(store, 'hello-run-c', 'QUEUED', '2030-01-01T12:00:03.000Z');
    const results = await Promise.all(Array.from({ length: 8 }, () => startNextQueued({ store, clock, starter }, { service: 'hello', branch: 'main' })));
    expect(results.filter(Boolean)).toEqual(['hello-run-b']);
    expect(starter.names).toEqual(['hello-run-b']);
  });

  it('starts nothing without a starter (a deployment that never queues needs nothing new)', async () => {
    const store = memoryStore();
    const clock = fixedClock('2030-01-01T13:00:00.000Z');
    await seedRun(store, 'hello-run-a', 'RUNNING', '2030-01-01T12:00:00.000Z');
    await seedRun(store, 'hello-run-b', 'QUEUED', '2030-01-01T12:00:01.000Z');
    await recordSuccessStep({ store, clock }, { runId: 'hello-run-a' });
    expect(await statusOf(store, 'hello-run-b')).toBe('QUEUED');
  });

  it('a queued run whose execution cannot start is FAILED with the reason, and the next one starts', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    starter.failFor.add('hello-run-b');
    const clock = fixedClock('2030-01-01T13:00:00.000Z');
    await seedRun(store, 'hello-run-a', 'RUNNING', '2030-01-01T12:00:00.000Z');
    await seedRun(store, 'hello-run-b', 'QUEUED', '2030-01-01T12:00:01.000Z');
    await seedRun(store, 'hello-run-c', 'QUEUED', '2030-01-01T12:00:02.000Z');
    await recordSuccessStep({ store, clock, starter }, { runId: 'hello-run-a' });
    const failed = (await readRun(store, 'hello-run-b'))!;
    expect(failed.status).toBe('FAILED');
    expect(failed.failure).toEqual({ error: 'Stageline.StartFailed', cause: 'could not start the queued run: ExecutionLimitExceeded: too many executions' });
    expect(starter.names).toEqual(['hello-run-c']);
  });
});

describe('cancelling a queued run', () => {
  it('makes it CANCELLED at once; it never starts, the run after it does', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    const clock = fixedClock('2030-01-01T13:00:00.000Z');
    await seedRun(store, 'hello-run-a', 'RUNNING', '2030-01-01T12:00:00.000Z');
    await seedRun(store, 'hello-run-b', 'QUEUED', '2030-01-01T12:00:01.000Z');
    await seedRun(store, 'hello-run-c', 'QUEUED', '2030-01-01T12:00:02.000Z');

    const cancelled = await requestCancel({ store, clock, callbacks: noCallbacks }, 'hello-run-b', { reason: 'cancelled', by: 'ops@acme.io' });
    expect(cancelled).toMatchObject({ status: 'CANCELLED', finishedAt: '2030-01-01T13:00:00.000Z', failure: { error: 'Stageline.Cancelled', cause: 'cancelled by ops@acme.io while queued; it never started' } });
    expect(await store.get('runs/hello-run-b/cancel')).toBeDefined();

    await recordSuccessStep({ store, clock, starter }, { runId: 'hello-run-a' });
    expect(starter.names).toEqual(['hello-run-c']);
    expect(await statusOf(store, 'hello-run-b')).toBe('CANCELLED');
    await expect(requestCancel({ store, clock, callbacks: noCallbacks }, 'hello-run-b', { reason: 'cancelled', by: 'ops@acme.io' })).rejects.toThrow(/already finished \(CANCELLED\)/);
  });
});

/**
 * A store whose first `list` calls wait for each other (`parties` of them) once armed: every
 * caller reads the runs before any of them writes, the worst interleaving for the queue.
 */
function racingStore(inner: ArtifactStore, parties: number): ArtifactStore & { arm(): void; listsSeenTogether: number } {
  let armed = false;
  let waiting: (() => void)[] = [];
  const racing = {
    listsSeenTogether: 0,
    arm: () => {
      armed = true;
    },
    get: (key: string) => inner.get(key),
    put: (key: string, body: string, conditions?: Parameters<ArtifactStore['put']>[2]) => inner.put(key, body, conditions),
    delete: (key: string) => inner.delete(key),
    async list(prefix: string) {
      if (armed && prefix.startsWith('runs/')) {
        const release = new Promise<void>((resolve) => waiting.push(resolve));
        if (waiting.length === parties) {
          armed = false;
          racing.listsSeenTogether = parties;
          for (const resolve of waiting) resolve();
          waiting = [];
        }
        await release;
      }
      return inner.list(prefix);
    },
  };
  return racing;
}
