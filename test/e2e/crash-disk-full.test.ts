import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deployLocally } from '../../lib/local-runtime/local-deploy.js';
import { cliEntryPoint } from '../../lib/local-runtime/package-root.js';
import { requestCancel } from '../../lib/pipeline/workflow/cancellation.js';
import { listRuns, readRun } from '../../lib/pipeline/workflow/records.js';
import { FileTaskCallbacks } from '../../lib/adapters/local/file-task-callbacks.js';
import { fixedClock } from '../../lib/ports/clock.js';
import type { ArtifactStore } from '../../lib/ports/artifact-store.js';
import { RUN_OWNER_STALE_MS } from '../../lib/pipeline/stack-job/run-owner.js';
import { StagelineError } from '../../lib/errors.js';
import { SERVICE_YAML, TestProject } from './harness.js';

/** The disk fills up while a run is under way (ENOSPC injected through the store port): the deploy ends with one clear line, never a hang. */
const projects: TestProject[] = [];
afterEach(() => {
  for (const created of projects.splice(0)) created.cleanup();
});

const SERVICE = SERVICE_YAML(['dev']);

describe('a full disk during deploy --local', () => {
  it('ends the deploy at once with one line saying the store could not be written; the run can then be ended', async () => {
    const project = new TestProject({ 'stageline.yaml': SERVICE });
    projects.push(project);
    let full = false;
    // The disk fills up once the stack job is launched: every later write of this process fails.
    const wrapStore = (store: ArtifactStore): ArtifactStore => ({
      get: (key) => store.get(key),
      list: (prefix) => store.list(prefix),
      delete: (key) => store.delete(key),
      put: async (key, body, conditions) => {
        if (full) throw Object.assign(new Error(`ENOSPC: no space left on device, open '${key}'`), { code: 'ENOSPC' });
        const written = await store.put(key, body, conditions);
        if (key.endsWith('/run.json') && body.includes('"stackJobId"')) full = true;
        return written;
      },
    });
    const started = Date.now();
    const outcome = await deployLocally({
      projectDir: project.dir,
      stateDir: project.stateDir,
      orgConfigFile: join(project.dir, '.stageline', 'organization.yaml'),
      secretsFile: join(project.dir, '.stageline', 'secrets.yaml'),
      variablesFile: join(project.dir, '.stageline', 'variables.yaml'),
      answer: { kind: 'approve' },
      operator: 'operator@acme.io',
      build: { triggeredBy: 'dev@acme.io' },
      io: project.io,
      runner: { command: process.execPath, args: [cliEntryPoint(), 'stack-job', 'run'] },
      wrapStore,
    }).catch((error: unknown) => error);

    expect(Date.now() - started).toBeLessThan(30_000);
    expect(outcome).toBeInstanceOf(StagelineError);
    const error = outcome as StagelineError;
    expect(error.code).toBe('RUN_NOT_RECORDED');
    expect(error.message).toMatch(/^run hello-service-\S+ failed: the store could not be written \(no space left on device \(ENOSPC\)\); the run still shows RUNNING$/);
    expect(error.hint).toMatch(/free space in the store, then `stageline cancel hello-service-\S+` \(or the next deploy\) ends it/);

    // Space freed: the run, left RUNNING, is ended by `stageline cancel` once its owner is known to be gone.
    const [run] = await listRuns(project.store);
    expect(run!.status).toBe('RUNNING');
    const later = fixedClock(new Date(Date.now() + RUN_OWNER_STALE_MS + 5_000).toISOString());
    const store = project.store;
    const ended = await requestCancel({ store, callbacks: new FileTaskCallbacks(store), clock: later, waitMs: 0 }, run!.runId, { reason: 'cancelled', by: 'ops@acme.io' });
    expect(ended.status).toBe('CANCELLED');
    expect((await readRun(store, run!.runId))!.status).toBe('CANCELLED');
  }, 60_000);
});
