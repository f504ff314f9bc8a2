import { describe, expect, it } from 'vitest';
import { readRun, type TaskStatus } from '../../../../lib/pipeline/workflow/records.js';
import { cancelRemainingStep } from '../../../../lib/pipeline/workflow/steps.js';
import { fixedClock } from '../../../../lib/ports/clock.js';
import { memoryStore } from '../approvals/harness.js';
import { runTask, seedRun } from './harness.js';

const RUN = 'hello-abcdef012345-000000000001';
const clock = fixedClock('2030-01-01T13:00:00.000Z');

async function endWith(statuses: TaskStatus[], failure: { Error: string; Cause: string }) {
  const store = memoryStore();
  await seedRun(store, RUN, { tasks: statuses.map((status, index) => runTask(index, status)) });
  await cancelRemainingStep({ store, clock }, { runId: RUN, failure });
  return (await readRun(store, RUN))!;
}

describe('Cancel remaining environments: which environment stopped the run', () => {
  it('a stack job that times out as its runner reports success does not blame the next environment', async () => {
    for (const Error of ['States.Timeout', 'Stageline.StackJobFailed', 'States.TaskFailed']) {
      const run = await endWith(['SUCCEEDED', 'SUCCEEDED', 'PENDING', 'PENDING'], { Error, Cause: 'the stack job did not report within 3600 s' });
      expect(run.tasks.map((task) => task.status), Error).toEqual(['SUCCEEDED', 'SUCCEEDED', 'CANCELLED', 'CANCELLED']);
      expect(run.tasks[2]!.startedAt).toBeUndefined();
      expect(run.tasks[2]!.detail).toBe('not deployed: the run stopped after app-staging (the stack job did not report within 3600 s)');
      expect(run.tasks[1]!.detail).toBeUndefined();
      expect(run).toMatchObject({ status: 'FAILED', failure: { env: 'app-staging', error: Error, cause: 'the stack job did not report within 3600 s' } });
    }
  });

  it('a failure before any environment started names none and cancels them all', async () => {
    const run = await endWith(['PENDING', 'PENDING'], { Error: 'States.Timeout', Cause: 'timed out' });
    expect(run.tasks.map((task) => task.status)).toEqual(['CANCELLED', 'CANCELLED']);
    expect(run.failure).toEqual({ error: 'States.Timeout', cause: 'timed out' });
  });

  it('a refusal before start (cancelled, superseded) is still the next environment', async () => {
    const run = await endWith(['SUCCEEDED', 'SUCCEEDED', 'PENDING', 'PENDING'], { Error: 'Stageline.Superseded', Cause: 'superseded by run hello-2' });
    expect(run.tasks.map((task) => task.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUPERSEDED', 'CANCELLED']);
    expect(run).toMatchObject({ status: 'SUPERSEDED', failure: { env: 'app-production' } });
    const cancelled = await endWith(['SUCCEEDED', 'PENDING'], { Error: 'Stageline.Cancelled', Cause: 'cancelled by ops@acme.io' });
    expect(cancelled.tasks.map((task) => task.status)).toEqual(['SUCCEEDED', 'CANCELLED']);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', failure: { env: 'app-staging' } });
  });

  it('the environment in flight is still the one that failed', async () => {
    const run = await endWith(['SUCCEEDED', 'APPLYING', 'PENDING'], { Error: 'States.Timeout', Cause: 'timed out' });
    expect(run.tasks.map((task) => task.status)).toEqual(['SUCCEEDED', 'FAILED', 'CANCELLED']);
    expect(run.tasks[2]!.detail).toBe('not deployed: app-staging failed');
  });
});

describe('Cancel remaining environments: the cause of a failed Lambda step', () => {
  it('stores the errorMessage of a Lambda error Cause, not the JSON with its stack trace', async () => {
    const Cause = JSON.stringify({
      errorType: 'StagelineError',
      errorMessage: 'run hello-1 has no task 7\nsecond line',
      requestId: '2f9c1c8e-0000-4000-8000-000000000000',
      stackTrace: ['StagelineError: run hello-1 has no task 7', '    at updateTask (file:///var/task/index.mjs:1:2345)'],
    });
    const run = await endWith(['SUCCEEDED', 'APPLYING', 'PENDING'], { Error: 'StagelineError', Cause });
    expect(run.failure).toEqual({ env: 'app-staging', error: 'StagelineError', cause: 'run hello-1 has no task 7' });
    expect(run.tasks[1]!.detail).toBe('run hello-1 has no task 7');
  });

  it('keeps a Cause that is plain text or JSON without errorMessage', async () => {
    const plain = await endWith(['APPLYING'], { Error: 'Stageline.StackJobFailed', Cause: 'exit 3' });
    expect(plain.failure?.cause).toBe('exit 3');
    const other = await endWith(['APPLYING'], { Error: 'States.Runtime', Cause: '{"cause":"x"}' });
    expect(other.failure?.cause).toBe('{"cause":"x"}');
  });
});
