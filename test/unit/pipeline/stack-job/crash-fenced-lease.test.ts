import { describe, expect, it } from 'vitest';
import { deployedKey, environmentLockKey, outputsKey } from '../../../../lib/pipeline/stack-job/keys.js';
import { parseHolder } from '../../../../lib/pipeline/stack-job/environment-lease.js';
import { serialize } from '../../../../lib/pipeline/workflow/records.js';
import type { ProcessLiveness, ProcessOwner } from '../../../../lib/ports/stack-job-launcher.js';
import type { Provisioner } from '../../../../lib/ports/provisioner.js';
import { WorkflowErrors } from '../../../../lib/ports/task-callbacks.js';
import { ENV, jobFixture, NOW, ORG, SERVICE } from './harness.js';

/** The lease is fenced: a job that no longer holds it records nothing and frees nothing. */
const LOCK = environmentLockKey(ORG, ENV, SERVICE);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A process table where only `alive` pids (on host `here`) exist. */
function fakeLiveness(alive: Set<number>, self: ProcessOwner = { host: 'here', pid: 100 }): ProcessLiveness {
  return {
    host: 'here',
    self: () => self,
    isAlive: (owner) => (owner.host === 'here' ? alive.has(owner.pid) : undefined),
    isGroupAlive: (host, pgid) => (host === 'here' ? alive.has(pgid) : undefined),
  };
}

const newerHolder = (extra: Record<string, unknown> = {}) => serialize({ runId: 'run-2', taskIndex: 0, digest: 'd'.repeat(64), acquiredAt: NOW, token: 'newer-token', ...extra });

describe('the fenced environment lease', () => {
  it('a job whose lease was taken over while it applied writes no deployed/ or outputs/, leaves the task and the newer lease alone', async () => {
    const job = await jobFixture();
    const provisioner: Provisioner = {
      provision: async () => {
        // While this (old) apply runs, a newer run decides this job is dead and takes the lease over.
        await job.store.put(LOCK, newerHolder());
        return { outputs: { url: 'https://old.example' }, summary: 'applied the OLD image' };
      },
    };

    const report = await job.run({ provisionerFor: () => provisioner, leaseHeartbeatMs: 10_000 });

    expect(report.outcome).toBe('failed');
    expect(report.detail).toMatch(/^the lease on app-dev \(locks\/acme\/app-dev\/hello\.json\) is no longer this job's: run run-2 task 0 holds it now; nothing recorded$/);
    expect(await job.store.get(deployedKey(ORG, ENV, SERVICE))).toBeUndefined();
    expect(await job.store.get(outputsKey(ORG, ENV, 'KubernetesDeployment', 'hello'))).toBeUndefined();
    expect((await job.task()).status).toBe('APPLYING');
    expect(parseHolder((await job.store.get(LOCK))!.body)).toMatchObject({ runId: 'run-2', token: 'newer-token' });
    expect(job.callbacks.calls.at(-1)).toMatchObject({ method: 'fail', args: [expect.any(String), WorkflowErrors.StackJobFailed, report.detail] });
  });

  it('a lease lost during a long apply (noticed by its renewal) stops the apply at once', async () => {
    const job = await jobFixture();
    let stopped: unknown;
    const provisioner: Provisioner = {
      provision: (_job, _log, control) =>
        new Promise((resolve) => {
          void job.store.put(LOCK, newerHolder());
          control?.signal?.addEventListener('abort', () => {
            stopped = control.signal!.reason;
            resolve({ outputs: {}, summary: 'stopped' });
          });
        }),
    };
    const started = Date.now();
    const report = await job.run({ provisionerFor: () => provisioner, leaseHeartbeatMs: 20 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(String((stopped as Error).message)).toMatch(/is no longer this job's/);
    expect(report.outcome).toBe('failed');
    expect(await job.store.get(deployedKey(ORG, ENV, SERVICE))).toBeUndefined();
  });

  it('records its owner, renews the lease and records the process group of the command running', async () => {
    const job = await jobFixture();
    const seen: unknown[] = [];
    const provisioner: Provisioner = {
      provision: async (_job, _log, control) => {
        control?.onProcessGroup?.(4242);
        await sleep(80);
        seen.push(parseHolder((await job.store.get(LOCK))!.body));
        control?.onProcessGroup?.(undefined);
        return { outputs: {}, summary: 'done' };
      },
    };
    const report = await job.run({ provisionerFor: () => provisioner, leaseHeartbeatMs: 20, liveness: fakeLiveness(new Set([100])) });
    expect(report.outcome).toBe('succeeded');
    expect(seen[0]).toMatchObject({ runId: 'run-1', owner: { host: 'here', pid: 100 }, processGroup: 4242, token: expect.any(String) });
    expect(await job.store.get(LOCK)).toBeUndefined();
  });

  it("takes over at once the lease of a runner on this machine whose processes are all gone, though its task still says APPLYING", async () => {
    const job = await jobFixture();
    // run-2's runner (pid 555) held the lease and was SIGKILLed; its watchdog stopped its commands (group 556).
    await job.store.put(
      'runs/run-2/run.json',
      serialize({ schemaVersion: 1, runId: 'run-2', build: {}, status: 'RUNNING', createdAt: NOW, updatedAt: NOW, tasks: [{ index: 0, env: ENV, status: 'APPLYING' }], skipped: [], warnings: [] }),
    );
    await job.store.put(LOCK, newerHolder({ owner: { host: 'here', pid: 555 }, processGroup: 556, heartbeatAt: NOW }));
    const report = await job.run({ provisionerFor: () => ({ provision: async () => ({ outputs: {}, summary: 'applied' }) }), liveness: fakeLiveness(new Set([100])), leasePollMs: 5 });
    expect(report.outcome).toBe('succeeded');
    expect(job.logs).toContain('lease on app-dev taken over from run run-2 task 0 (its runner (pid 555) and its commands are gone)');
  });

  it('waits while any process of the holder is alive (its runner died but its command group has not yet)', async () => {
    const job = await jobFixture();
    await job.store.put(
      'runs/run-2/run.json',
      serialize({ schemaVersion: 1, runId: 'run-2', build: {}, status: 'FAILED', createdAt: NOW, updatedAt: NOW, tasks: [{ index: 0, env: ENV, status: 'FAILED' }], skipped: [], warnings: [] }),
    );
    await job.store.put(LOCK, newerHolder({ owner: { host: 'here', pid: 555 }, processGroup: 556, heartbeatAt: NOW }));
    const alive = new Set([100, 556]);
    const applied: number[] = [];
    const done = job.run({ provisionerFor: () => ({ provision: async () => (applied.push(Date.now()), { outputs: {}, summary: 'applied' }) }), liveness: fakeLiveness(alive), leasePollMs: 5 });
    await sleep(150);
    expect(applied).toEqual([]);
    alive.delete(556); // the watchdog's SIGKILL landed
    expect((await done).outcome).toBe('succeeded');
    expect(applied).toHaveLength(1);
  });
});
