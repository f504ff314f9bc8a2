import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../../lib/kustomize/json.js';
import { canonicalizeManifest } from '../../../../lib/pipeline/manifest.js';
import { manifestKey } from '../../../../lib/pipeline/run-manifests.js';
import { deployedKey, environmentLockKey } from '../../../../lib/pipeline/stack-job/keys.js';
import { executeStackJob, type StackJobDeps, type StackJobReport } from '../../../../lib/pipeline/stack-job/run-stack-job.js';
import { createRun, readRun, serialize, type TaskStatus } from '../../../../lib/pipeline/workflow/records.js';
import { fixedClock } from '../../../../lib/ports/clock.js';
import type { StackJobRequest } from '../../../../lib/ports/stack-job-launcher.js';
import { WorkflowErrors } from '../../../../lib/ports/task-callbacks.js';
import {
  CANARY,
  ENV,
  fakeProvisioner,
  helloManifest,
  jobFixture,
  memorySecrets,
  memoryVariables,
  NOW,
  ORG,
  recordingCallbacks,
  RUN_ID,
  SERVICE,
  TOKEN,
  type JobFixture,
} from './harness.js';

const LOCK = environmentLockKey(ORG, ENV, SERVICE);
const FAST = { leasePollMs: 5 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await condition()); await sleep(5)) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
  }
}

/** Another run of the same service in the fixture's store, its task 0 for the same environment (status APPLYING unless told). */
async function otherRun(job: JobFixture, runId: string, options: { manifest?: JsonObject; taskStatus?: TaskStatus; token?: string } = {}) {
  const { yaml, digest } = canonicalizeManifest(options.manifest ?? helloManifest(), 'test manifest');
  await job.store.put(manifestKey(runId, digest), yaml);
  const template = (await readRun(job.store, RUN_ID))!;
  await createRun(job.store, { ...template, runId, tasks: template.tasks.map((task) => ({ ...task, digest, status: options.taskStatus ?? 'APPLYING' })) });
  const request: StackJobRequest = { ...job.request, runId, digest, manifestKey: manifestKey(runId, digest), taskToken: options.token ?? `token-${runId}` };
  const callbacks = recordingCallbacks();
  const logs: string[] = [];
  return {
    request,
    storedManifest: yaml,
    callbacks,
    logs,
    run: (deps: Partial<StackJobDeps> & { provisionerFor: StackJobDeps['provisionerFor'] }): Promise<StackJobReport> =>
      executeStackJob(
        {
          store: job.store,
          secrets: memorySecrets({ database: { password: CANARY } }),
          variables: memoryVariables({ app: { 'log-level': 'debug' } }),
          callbacks,
          clock: fixedClock(NOW),
          log: (line) => logs.push(line),
          ...deps,
        },
        request,
      ),
  };
}

/** A lock as another run's job would have written it. */
function lockBody(runId: string, taskIndex = 0): string {
  return serialize({ runId, taskIndex, digest: 'd'.repeat(64), acquiredAt: '2030-01-01T00:00:00.000Z' });
}

describe('the environment lease (locks/<org>/<env>/<service>.json)', () => {
  it('a second job for the same environment waits, heartbeating, until the first has reported and released it', async () => {
    // Prepare: run-1 applies app-dev until told to finish; run-2 (a newer commit) targets app-dev too.
    const first = await jobFixture();
    const second = await otherRun(first, 'run-2', { manifest: helloManifest({ image: 'registry.example/hello:2222222' }) });
    const events: string[] = [];
    let finishFirst!: () => void;
    const firstApplying = new Promise<void>((resolve) => (finishFirst = resolve));
    const provisioner = (name: string, wait?: Promise<void>) =>
      fakeProvisioner(async () => {
        events.push(`${name} start`);
        await wait;
        events.push(`${name} end`);
        return { outputs: {}, summary: `${name} applied` };
      });

    // Act
    const firstDone = first.run({ provisionerFor: () => provisioner('run-1', firstApplying), ...FAST });
    await until(() => events.includes('run-1 start'));
    const lockWhileApplying = await first.store.get(LOCK);
    const secondDone = second.run({ provisionerFor: () => provisioner('run-2'), ...FAST, heartbeatMs: 20 });
    await sleep(150);
    const eventsWhileWaiting = [...events];
    finishFirst();
    const [firstReport, secondReport] = await Promise.all([firstDone, secondDone]);

    // Assess
    expect(JSON.parse(lockWhileApplying!.body)).toEqual({ runId: RUN_ID, taskIndex: 0, digest: first.request.digest, acquiredAt: NOW, heartbeatAt: NOW, token: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(eventsWhileWaiting).toEqual(['run-1 start']);
    expect(events).toEqual(['run-1 start', 'run-1 end', 'run-2 start', 'run-2 end']);
    expect([firstReport.outcome, secondReport.outcome]).toEqual(['succeeded', 'succeeded']);
    expect(second.logs.filter((line) => line === `waiting for run ${RUN_ID} to finish applying ${ENV}`)).toHaveLength(1);
    // The second job's step was kept alive while it waited (the start check, then at least a few beats).
    expect(second.callbacks.calls.filter((call) => call.method === 'heartbeat').length).toBeGreaterThanOrEqual(4);
    expect(second.callbacks.calls.at(-1)).toEqual({ method: 'succeed', args: [second.request.taskToken, { summary: 'run-2 applied' }] });
    // The newer commit is what is deployed; both leases are gone.
    expect((await first.store.get(deployedKey(ORG, ENV, SERVICE)))?.body).toBe(second.storedManifest);
    expect(await first.store.get(LOCK)).toBeUndefined();
    // The first job let go only once its task was final: it released the lease after reporting, or
    // (its task already SUCCEEDED, so the lease stale) the waiting job took it over just before.
    const firstLog = first.logs.join('\n');
    const letGo = Math.max(firstLog.indexOf(`lease on ${ENV} released`), firstLog.indexOf(`lease on ${ENV} is no longer this job's (taken over); left as is`));
    expect(letGo).toBeGreaterThan(firstLog.indexOf('reported success to the workflow'));
    expect(second.logs.join('\n').indexOf('run-2')).toBeGreaterThan(-1);
  });

  it.each([
    ['its run finished (task SUCCEEDED)', 'SUCCEEDED' as TaskStatus, 'its task is SUCCEEDED'],
    ['its run was cancelled (task CANCELLED)', 'CANCELLED' as TaskStatus, 'its task is CANCELLED'],
    ['its run does not exist', undefined, 'run run-0 does not exist'],
  ])('takes over a stale lease: %s', async (_case, holderStatus, reason) => {
    const job = await jobFixture();
    if (holderStatus) await otherRun(job, 'run-0', { taskStatus: holderStatus });
    const stale = await job.store.put(LOCK, lockBody('run-0'));
    const provisioner = fakeProvisioner(async () => {
      const lock = await job.store.get(LOCK);
      expect(JSON.parse(lock!.body)).toMatchObject({ runId: RUN_ID, taskIndex: 0 });
      expect(lock!.etag).not.toBe(stale.etag);
      return { outputs: {}, summary: 'done' };
    });

    const report = await job.run({ provisionerFor: () => provisioner, ...FAST });

    expect(report).toEqual({ outcome: 'succeeded', detail: 'done' });
    expect(provisioner.jobs).toHaveLength(1);
    expect(job.logs).toContain(`lease on ${ENV} taken over from run run-0 task 0 (${reason})`);
    expect(job.logs.some((line) => line.startsWith('waiting for'))).toBe(false);
    expect(job.callbacks.calls.map((call) => call.method)).toEqual(['heartbeat', 'succeed']);
    expect(await job.store.get(LOCK)).toBeUndefined();
  });

  it('takes over its own run’s lease (a retried step) and an unreadable lock without waiting', async () => {
    for (const body of [lockBody(RUN_ID), 'not json']) {
      const job = await jobFixture();
      await job.store.put(LOCK, body);
      const report = await job.run({ provisionerFor: () => fakeProvisioner(), ...FAST });
      expect(report.outcome).toBe('succeeded');
      expect(job.logs.some((line) => line.startsWith(`lease on ${ENV} taken over`))).toBe(true);
      expect(await job.store.get(LOCK)).toBeUndefined();
    }
  });

  it('is released after a failure too, and a waiting job then applies', async () => {
    const first = await jobFixture();
    const second = await otherRun(first, 'run-2');
    let failFirst!: () => void;
    const failing = new Promise<void>((resolve) => (failFirst = resolve));
    const firstProvisioner = fakeProvisioner(async () => {
      await failing;
      throw new Error('apply exploded');
    });
    const secondProvisioner = fakeProvisioner();

    const firstDone = first.run({ provisionerFor: () => firstProvisioner, ...FAST });
    await until(() => firstProvisioner.jobs.length === 1);
    const secondDone = second.run({ provisionerFor: () => secondProvisioner, ...FAST });
    await until(() => second.logs.includes(`waiting for run ${RUN_ID} to finish applying ${ENV}`));
    expect(secondProvisioner.jobs).toHaveLength(0);
    failFirst();
    const [firstReport, secondReport] = await Promise.all([firstDone, secondDone]);

    expect(firstReport).toEqual({ outcome: 'failed', detail: 'apply exploded' });
    expect(first.callbacks.calls.at(-1)).toEqual({ method: 'fail', args: [TOKEN, WorkflowErrors.StackJobFailed, 'apply exploded'] });
    expect(secondReport.outcome).toBe('succeeded');
    expect(secondProvisioner.jobs).toHaveLength(1);
    expect(await first.store.get(LOCK)).toBeUndefined();
  });

  it('a failure before provisioning (a reference without a value) releases it as well', async () => {
    const job = await jobFixture({ secrets: memorySecrets({}) });
    const report = await job.run({ provisionerFor: () => fakeProvisioner(), ...FAST });
    expect(report.outcome).toBe('failed');
    expect(job.logs).toContain(`lease on ${ENV} acquired (${LOCK})`);
    expect(await job.store.get(LOCK)).toBeUndefined();
  });

  it('leaves a lease that is no longer its own (taken over meanwhile) alone', async () => {
    const job = await jobFixture();
    const provisioner = fakeProvisioner(async () => {
      await job.store.put(LOCK, lockBody('run-9'));
      return { outputs: {}, summary: 'done' };
    });
    await job.run({ provisionerFor: () => provisioner, ...FAST });
    expect((await job.store.get(LOCK))?.body).toBe(lockBody('run-9'));
    expect(job.logs).toContain(`lease on ${ENV} is no longer this job's (taken over); left as is`);
  });

  it('a job whose step closes while it waits stops: nothing resolved, applied, recorded or reported; the holder keeps its lease', async () => {
    // Prepare: run-2 is applying app-dev (its task APPLYING, its lock held).
    const resolved: string[] = [];
    const job = await jobFixture({ secrets: { getSecret: async (_scope, group, key) => (resolved.push(`${group}/${key}`), CANARY) } });
    await otherRun(job, 'run-2');
    await job.store.put(LOCK, lockBody('run-2'));
    let beats = 0;
    const callbacks = recordingCallbacks((method) => (method === 'heartbeat' && ++beats > 2 ? 'closed' : 'delivered'));
    const provisioner = fakeProvisioner();

    // Act
    const report = await job.run({ provisionerFor: () => provisioner, callbacks, heartbeatMs: 20, ...FAST });

    // Assess
    expect(report).toEqual({ outcome: 'failed', detail: 'the workflow step closed while the job waited for the lease on the environment; nothing applied' });
    expect(provisioner.jobs).toHaveLength(0);
    expect(resolved).toEqual([]);
    expect(callbacks.calls.map((call) => call.method)).toEqual(['heartbeat', 'heartbeat', 'heartbeat']);
    expect(await job.task()).toMatchObject({ status: 'APPLYING' });
    expect(await job.store.get(deployedKey(ORG, ENV, SERVICE))).toBeUndefined();
    expect((await job.store.get(LOCK))?.body).toBe(lockBody('run-2'));
    expect(job.logs.at(-1)).toBe('stack job stopped: the workflow step closed while the job waited for the lease on the environment; nothing applied');
  });

  it('checks the step once more when the lease frees after a wait: closed meanwhile → nothing applied, the lease released', async () => {
    const job = await jobFixture();
    await otherRun(job, 'run-2');
    await job.store.put(LOCK, lockBody('run-2'));
    let beats = 0;
    const callbacks = recordingCallbacks((method) => (method === 'heartbeat' && ++beats > 1 ? 'closed' : 'delivered'));
    const provisioner = fakeProvisioner();

    // The heartbeat period is long: no beat during the wait; the holder's lease is released after a while.
    const done = job.run({ provisionerFor: () => provisioner, callbacks, heartbeatMs: 3_600_000, ...FAST });
    await until(() => job.logs.includes(`waiting for run run-2 to finish applying ${ENV}`));
    await job.store.delete(LOCK);
    const report = await done;

    expect(report.detail).toBe('the workflow step closed while the job waited for the lease on the environment; nothing applied');
    expect(provisioner.jobs).toHaveLength(0);
    expect(callbacks.calls.map((call) => call.method)).toEqual(['heartbeat', 'heartbeat']);
    expect(await job.store.get(LOCK)).toBeUndefined();
  });
});
