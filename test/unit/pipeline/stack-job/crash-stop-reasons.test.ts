import { describe, expect, it } from 'vitest';
import { deployedKey, environmentLockKey } from '../../../../lib/pipeline/stack-job/keys.js';
import { cancelKey, createRun, readRun, serialize } from '../../../../lib/pipeline/workflow/records.js';
import type { Provisioner } from '../../../../lib/ports/provisioner.js';
import { WorkflowErrors } from '../../../../lib/ports/task-callbacks.js';
import { ENV, jobFixture, NOW, ORG, SERVICE } from './harness.js';

/** Whatever stops a job while it applies (its run cancelled or superseded, the runner told to stop), the provisioner is stopped and nothing is recorded as deployed. */

/** A provisioner that applies until it is stopped, and says why it was. */
function untilStopped(onStart: () => Promise<void> | void = () => undefined): Provisioner & { reason?: unknown } {
  const provisioner: Provisioner & { reason?: unknown } = {
    provision: (_job, _log, control) =>
      new Promise((resolve, reject) => {
        const never = setTimeout(() => resolve({ outputs: {}, summary: 'finished (should have been stopped)' }), 10_000);
        control?.signal?.addEventListener('abort', () => {
          clearTimeout(never);
          provisioner.reason = control.signal!.reason;
          reject(new Error('apply command was stopped'));
        });
        void onStart();
      }),
  };
  return provisioner;
}

describe('a stack job stopped while it applies', () => {
  it('its run cancelled (the marker, as in AWS where nobody can signal the build): stops within a renewal, task CANCELLED, reported as Stageline.Cancelled', async () => {
    const job = await jobFixture();
    const provisioner = untilStopped(() => job.store.put(cancelKey(job.request.runId), serialize({ reason: 'cancelled', by: 'ops@acme.io', at: NOW })).then(() => undefined));
    const started = Date.now();

    const report = await job.run({ provisionerFor: () => provisioner, leaseHeartbeatMs: 20 });

    expect(Date.now() - started).toBeLessThan(3_000);
    expect(report).toEqual({ outcome: 'failed', detail: 'cancelled by ops@acme.io; the apply was stopped' });
    expect((await job.task()).status).toBe('CANCELLED');
    expect(job.callbacks.calls.at(-1)).toMatchObject({ method: 'fail', args: [expect.any(String), WorkflowErrors.Cancelled, report.detail] });
    expect(await job.store.get(deployedKey(ORG, ENV, SERVICE))).toBeUndefined();
    expect(await job.store.get(environmentLockKey(ORG, ENV, SERVICE))).toBeUndefined();
  });

  it('its run superseded: task SUPERSEDED, reported as Stageline.Superseded', async () => {
    const job = await jobFixture();
    const provisioner = untilStopped(() => job.store.put(cancelKey(job.request.runId), serialize({ reason: 'superseded', by: 'dev@acme.io', at: NOW, supersededBy: 'run-9' })).then(() => undefined));
    const report = await job.run({ provisionerFor: () => provisioner, leaseHeartbeatMs: 20 });
    expect(report.detail).toBe('superseded by run run-9; the apply was stopped');
    expect((await job.task()).status).toBe('SUPERSEDED');
    expect(job.callbacks.calls.at(-1)).toMatchObject({ method: 'fail', args: [expect.any(String), WorkflowErrors.Superseded, report.detail] });
  });

  it('the runner told to stop (its signal): FAILED with the reason, lease released', async () => {
    const job = await jobFixture();
    const stop = new AbortController();
    const provisioner = untilStopped(() => stop.abort('SIGTERM received'));
    const report = await job.run({ provisionerFor: () => provisioner, signal: stop.signal });
    expect(report.detail).toBe('the stack-job runner was stopped (SIGTERM received)');
    expect((await job.task()).status).toBe('FAILED');
    expect(await job.store.get(environmentLockKey(ORG, ENV, SERVICE))).toBeUndefined();
  });

  it('a runner told to stop while it waits for the lease applies nothing', async () => {
    const job = await jobFixture();
    await job.store.put(environmentLockKey(ORG, ENV, SERVICE), serialize({ runId: 'run-2', taskIndex: 0, digest: 'd'.repeat(64), acquiredAt: NOW, heartbeatAt: NOW }));
    await createRun(job.store, { ...(await readRun(job.store, job.request.runId))!, runId: 'run-2' }); // its task 0 is APPLYING app-dev
    const stop = new AbortController();
    const applied: string[] = [];
    const done = job.run({ provisionerFor: () => ({ provision: async () => (applied.push('applied'), { outputs: {}, summary: 'applied' }) }), signal: stop.signal, leasePollMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop.abort('SIGINT received');
    const report = await done;
    expect(applied).toEqual([]);
    expect(report.detail).toBe('the stack job was stopped before anything was applied (SIGINT received)');
  });

  it('a lease whose holder run record is corrupt does not block the environment', async () => {
    const job = await jobFixture();
    await job.store.put(environmentLockKey(ORG, ENV, SERVICE), serialize({ runId: 'run-2', taskIndex: 0, digest: 'd'.repeat(64), acquiredAt: NOW, heartbeatAt: NOW }));
    await job.store.put('runs/run-2/run.json', '{"schemaVersion": 1, "runId": "run-2", "sta');
    const report = await job.run({ provisionerFor: () => ({ provision: async () => ({ outputs: {}, summary: 'applied' }) }), leasePollMs: 5 });
    expect(report.outcome).toBe('succeeded');
    expect(job.logs.some((line) => line.startsWith('lease on app-dev taken over from run run-2 task 0 (the record of run run-2 cannot be read'))).toBe(true);
  });
});
