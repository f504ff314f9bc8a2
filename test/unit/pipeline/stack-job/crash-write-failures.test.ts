import { describe, expect, it } from 'vitest';
import { deployedKey } from '../../../../lib/pipeline/stack-job/keys.js';
import type { ArtifactStore } from '../../../../lib/ports/artifact-store.js';
import type { Provisioner } from '../../../../lib/ports/provisioner.js';
import { WorkflowErrors } from '../../../../lib/ports/task-callbacks.js';
import { FileTaskCallbacks } from '../../../../lib/adapters/local/file-task-callbacks.js';
import { ChildProcessLauncher } from '../../../../lib/adapters/local/child-process-launcher.js';
import { ENV, jobFixture, ORG, SERVICE } from './harness.js';

/** A full disk (ENOSPC injected through the store port) ends a job FAILED with one clear line, never a hang. */
function enospc(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC', errno: -28, syscall: 'open', path });
}

/** The store once the disk is full: every write fails with ENOSPC while `full.value` is true; reads work. */
function fillable(store: ArtifactStore): ArtifactStore & { full: { value: boolean } } {
  const full = { value: false };
  return {
    full,
    get: (key) => store.get(key),
    list: (prefix) => store.list(prefix),
    delete: (key) => store.delete(key),
    put: async (key, body, conditions) => {
      if (full.value) throw enospc(`/state/.stageline/store/${key}.tmp-1-abc`);
      return store.put(key, body, conditions);
    },
  };
}

describe('write failures during a stack job', () => {
  it('a disk that fills up during the apply: FAILED, one line naming what could not be written, the failure still reported', async () => {
    const job = await jobFixture();
    const store = fillable(job.store);
    const provisioner: Provisioner = {
      provision: async () => {
        store.full.value = true;
        return { outputs: {}, summary: 'applied' };
      },
    };

    const report = await job.run({ store, provisionerFor: () => provisioner });

    expect(report.outcome).toBe('failed');
    expect(report.detail).toBe('the environment was applied but the lease locks/acme/app-dev/hello.json could not be written to record it: no space left on device (ENOSPC)');
    expect(report.detail).not.toContain('/state/');
    expect(job.logs).toContain('run record not updated: no space left on device (ENOSPC)');
    expect(job.callbacks.calls.at(-1)).toMatchObject({ method: 'fail', args: [expect.any(String), WorkflowErrors.StackJobFailed, report.detail] });
    store.full.value = false;
    expect(await job.store.get(deployedKey(ORG, ENV, SERVICE))).toBeUndefined();
  });

  it('deployed/ that cannot be written: FAILED with the key named', async () => {
    const job = await jobFixture();
    const store = fillable(job.store);
    const failing: ArtifactStore = { ...store, put: (key, body, conditions) => (key.startsWith('deployed/') ? Promise.reject(enospc(key)) : job.store.put(key, body, conditions)) };
    const report = await job.run({ store: failing, provisionerFor: () => ({ provision: async () => ({ outputs: {}, summary: 'applied' }) }) });
    expect(report.detail).toBe(`the environment was applied but ${deployedKey(ORG, ENV, SERVICE)} could not be written: no space left on device (ENOSPC)`);
    expect((await job.task()).status).toBe('FAILED');
  });

  it('a runner that dies because the disk is full still ends its step at once: the answer the launcher cannot write is kept in memory', async () => {
    const job = await jobFixture();
    const store = fillable(job.store);
    const callbacks = new FileTaskCallbacks(store);
    const launcher = new ChildProcessLauncher({ command: '/bin/sh', args: ['-c', 'exit 2'], stateDir: job.store.root, callbacks });
    store.full.value = true;
    await launcher.launch(job.request);
    await launcher.drain(1_000);

    expect(await callbacks.read(job.request.taskToken)).toEqual({ type: 'failure', error: WorkflowErrors.StackJobFailed, cause: 'the stack-job runner exited with code 2 before reporting' });
  });
});
