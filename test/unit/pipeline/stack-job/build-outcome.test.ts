import { describe, expect, it } from 'vitest';
import { FAILED_BUILD_STATUSES, reportBuildEnded, reportBuildOutcome, shortBuildId, type BuildOutcomeDeps } from '../../../../lib/pipeline/stack-job/build-outcome.js';
import { readRun, runKey, updateTask, type TaskStatus } from '../../../../lib/pipeline/workflow/records.js';
import { fixedClock } from '../../../../lib/ports/clock.js';
import { jobFixture, NOW, recordingCallbacks, RUN_ID, TOKEN, type JobFixture } from './harness.js';

const BUILD_ID = 'StackJobsRunner-abc:0b6f1e2a-1111-2222-3333-444455556666';
const BUILD_ARN = `arn:aws:codebuild:eu-west-1:111111111111:build/${BUILD_ID}`;
const JOB_KEY = `runs/${RUN_ID}/jobs/0-dev.json`;
const LATER = '2030-01-02T03:10:00.000Z';

async function setup(options: { taskStatus?: TaskStatus; answer?: 'delivered' | 'closed' } = {}) {
  const fixture = await jobFixture(options.taskStatus ? { taskStatus: options.taskStatus } : {});
  await fixture.store.put(JOB_KEY, `${JSON.stringify(fixture.request)}\n`);
  const callbacks = recordingCallbacks(() => options.answer ?? 'delivered');
  const logs: string[] = [];
  const deps: BuildOutcomeDeps = { store: fixture.store, callbacks, clock: fixedClock(LATER), log: (line) => logs.push(line) };
  return { fixture, callbacks, logs, deps };
}

const expectNoToken = (logs: string[]) => {
  for (const line of logs) expect(line).not.toContain(TOKEN);
};

async function storeSnapshot(fixture: JobFixture) {
  return (await fixture.store.get(runKey(RUN_ID)))!.body;
}

describe('reportBuildOutcome (a runner build ended)', () => {
  it.each(['PENDING', 'APPLYING'] as const)('task %s, build FAILED → task FAILED with one line, and one fail callback with that line', async (status) => {
    const { fixture, callbacks, logs, deps } = await setup({ taskStatus: status });

    expect(await reportBuildOutcome(deps, { job: fixture.request, buildStatus: 'FAILED', buildId: BUILD_ID })).toBe('failed');

    const line = `stack-job build ${BUILD_ID} ended FAILED before the runner reported`;
    expect(await fixture.task()).toMatchObject({ status: 'FAILED', detail: line, finishedAt: LATER });
    expect(callbacks.calls).toEqual([{ method: 'fail', args: [TOKEN, 'Stageline.StackJobFailed', line] }]);
    expect((await readRun(fixture.store, RUN_ID))!.updatedAt).toBe(LATER);
    expectNoToken(logs);
  });

  it.each(FAILED_BUILD_STATUSES)('names the status %s and the short build id (from the event ARN) in the line', async (status) => {
    const { fixture, callbacks, deps } = await setup();

    await reportBuildOutcome(deps, { job: fixture.request, buildStatus: status, buildId: BUILD_ARN });

    const line = `stack-job build ${BUILD_ID} ended ${status} before the runner reported`;
    expect((await fixture.task()).detail).toBe(line);
    expect(callbacks.calls.map((call) => call.args[2])).toEqual([line]);
  });

  it('task already SUCCEEDED (the runner reported) → nothing: no record change, no callback', async () => {
    const { fixture, callbacks, logs, deps } = await setup({ taskStatus: 'SUCCEEDED' });
    const before = await storeSnapshot(fixture);

    expect(await reportBuildOutcome(deps, { job: fixture.request, buildStatus: 'FAILED', buildId: BUILD_ID })).toBe('ignored');

    expect(await storeSnapshot(fixture)).toBe(before);
    expect(callbacks.calls).toEqual([]);
    expect(logs.join('\n')).toContain('already SUCCEEDED');
  });

  it('task already FAILED by the runner → its record is left as is; the step is told, a `closed` answer changes nothing', async () => {
    const { fixture, callbacks, logs, deps } = await setup({ answer: 'closed' });
    await updateTask(fixture.store, RUN_ID, 0, (task) => Object.assign(task, { status: 'FAILED', detail: 'provisioner exited 1' }), new Date(NOW));
    const before = await storeSnapshot(fixture);

    expect(await reportBuildOutcome(deps, { job: fixture.request, buildStatus: 'FAILED', buildId: BUILD_ID })).toBe('closed');

    expect(await storeSnapshot(fixture)).toBe(before);
    expect(callbacks.calls.map((call) => call.method)).toEqual(['fail']);
    expect(logs.join('\n')).toMatch(/already FAILED; record left as is[\s\S]*already closed/);
  });

  it('a `closed` answer (the step timed out) is not an error', async () => {
    const { fixture, deps } = await setup({ answer: 'closed' });

    await expect(reportBuildOutcome(deps, { job: fixture.request, buildStatus: 'TIMED_OUT', buildId: BUILD_ID })).resolves.toBe('closed');
  });

  it('SUCCEEDED (or any non-failure status) → nothing: the runner reported', async () => {
    for (const status of ['SUCCEEDED', 'IN_PROGRESS']) {
      const { fixture, callbacks, deps } = await setup();
      const before = await storeSnapshot(fixture);

      expect(await reportBuildOutcome(deps, { job: fixture.request, buildStatus: status, buildId: BUILD_ID })).toBe('ignored');

      expect(await storeSnapshot(fixture)).toBe(before);
      expect(callbacks.calls).toEqual([]);
    }
  });

  it("a build that is not the task's (it records another stackJobId) → nothing", async () => {
    const { fixture, callbacks, deps } = await setup();
    await updateTask(fixture.store, RUN_ID, 0, (task) => (task.stackJobId = 'StackJobsRunner-abc:other-build'), new Date(NOW));

    expect(await reportBuildOutcome(deps, { job: fixture.request, buildStatus: 'STOPPED', buildId: BUILD_ARN })).toBe('ignored');

    expect((await fixture.task()).status).toBe('APPLYING');
    expect(callbacks.calls).toEqual([]);
  });

  it("the task's own build (stackJobId = the short form of the event's ARN) is handled", async () => {
    const { fixture, callbacks, deps } = await setup();
    await updateTask(fixture.store, RUN_ID, 0, (task) => (task.stackJobId = BUILD_ID), new Date(NOW));

    expect(await reportBuildOutcome(deps, { job: fixture.request, buildStatus: 'FAULT', buildId: BUILD_ARN })).toBe('failed');

    expect((await fixture.task()).status).toBe('FAILED');
    expect(callbacks.calls).toHaveLength(1);
  });

  it('a run record that cannot be updated still fails the step (the Catch path records the task)', async () => {
    const { fixture, callbacks, logs, deps } = await setup();
    const job = { ...fixture.request, runId: 'no-such-run' };

    expect(await reportBuildOutcome(deps, { job, buildStatus: 'FAILED', buildId: BUILD_ID })).toBe('failed');

    expect(callbacks.calls).toHaveLength(1);
    expect(logs.join('\n')).toContain('run record not updated: run no-such-run not found');
  });

  it('throws when the step cannot be told (the event is retried); the token is in no message', async () => {
    const { fixture, logs, deps } = await setup();
    deps.callbacks.fail = async () => {
      throw new Error('ThrottlingException: Rate exceeded');
    };

    await expect(reportBuildOutcome(deps, { job: fixture.request, buildStatus: 'FAILED', buildId: BUILD_ID })).rejects.toThrow('Rate exceeded');
    expectNoToken(logs);
  });
});

describe('reportBuildEnded (the job is found by its key)', () => {
  it('loads runs/<runId>/jobs/<index>-<overlay>.json and fails the step', async () => {
    const { fixture, callbacks, deps } = await setup();

    expect(await reportBuildEnded(deps, { jobKey: JOB_KEY, buildStatus: 'FAILED', buildId: BUILD_ARN })).toBe('failed');

    expect((await fixture.task()).status).toBe('FAILED');
    expect(callbacks.calls).toEqual([{ method: 'fail', args: [TOKEN, 'Stageline.StackJobFailed', `stack-job build ${BUILD_ID} ended FAILED before the runner reported`] }]);
  });

  it.each([
    ['missing', undefined, 'has no STAGELINE_JOB_KEY'],
    ['empty', '  ', 'has no STAGELINE_JOB_KEY'],
    ['outside runs/<runId>/jobs/', 'config/organization.yaml', 'is not runs/<runId>/jobs/<file>.json'],
    ['a key with no object', `runs/${RUN_ID}/jobs/9-gone.json`, 'is not in the bucket'],
  ])('job key %s → logged, no throw, nothing changed', async (_case, jobKey, message) => {
    const { fixture, callbacks, logs, deps } = await setup();
    const before = await storeSnapshot(fixture);

    await expect(reportBuildEnded(deps, { jobKey, buildStatus: 'FAILED', buildId: BUILD_ARN })).resolves.toBe('ignored');

    expect(logs.join('\n')).toContain(message);
    expect(await storeSnapshot(fixture)).toBe(before);
    expect(callbacks.calls).toEqual([]);
  });

  it('a job object that is not a job → logged by field (never a value), no throw', async () => {
    const { fixture, callbacks, logs, deps } = await setup();
    await fixture.store.put(JOB_KEY, JSON.stringify({ ...fixture.request, digest: `not-a-digest ${TOKEN}` }));

    await expect(reportBuildEnded(deps, { jobKey: JOB_KEY, buildStatus: 'FAILED', buildId: BUILD_ARN })).resolves.toBe('ignored');

    expect(logs.join('\n')).toContain(`${JOB_KEY}: digest:`);
    expectNoToken(logs);
    expect(callbacks.calls).toEqual([]);
  });

  it('a SUCCEEDED build is not even read', async () => {
    const { callbacks, deps } = await setup();
    const reads: string[] = [];
    const get = deps.store.get.bind(deps.store);
    deps.store.get = async (key) => (reads.push(key), get(key));

    expect(await reportBuildEnded(deps, { jobKey: JOB_KEY, buildStatus: 'SUCCEEDED', buildId: BUILD_ARN })).toBe('ignored');

    expect(reads).toEqual([]);
    expect(callbacks.calls).toEqual([]);
  });
});

describe('shortBuildId', () => {
  it("turns the event's build ARN into StartBuild's build id, and leaves an id as is", () => {
    expect(shortBuildId(BUILD_ARN)).toBe(BUILD_ID);
    expect(shortBuildId(`arn:aws-cn:codebuild:cn-north-1:111111111111:build/${BUILD_ID}`)).toBe(BUILD_ID);
    expect(shortBuildId(BUILD_ID)).toBe(BUILD_ID);
  });
});

