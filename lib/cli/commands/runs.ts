import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { listRuns, requireRun } from '../../pipeline/workflow/records.js';
import { formatRunTable } from '../../local-runtime/progress.js';
import { requestCancel } from '../../pipeline/workflow/cancellation.js';
import { FileTaskCallbacks } from '../../adapters/local/file-task-callbacks.js';
import { operatorIdentity } from '../../adapters/local/operator-identity.js';
import { systemClock } from '../../ports/clock.js';
import type { CliIo } from '../io.js';
import { localProjectPaths } from '../../adapters/local/local-project.js';

interface StoreOptions {
  project: string;
  stateDir?: string;
}

/** `stageline runs`: every run in the local store, newest first. */
export async function runsCommand(options: StoreOptions & { json?: boolean }, io: CliIo): Promise<void> {
  const store = new DirectoryArtifactStore(localProjectPaths(io.cwd, options).storeDir);
  const runs = await listRuns(store);
  if (options.json) {
    io.out(JSON.stringify(runs.map((run) => ({ runId: run.runId, service: run.build.service, commitSha: run.build.commitSha, branch: run.build.branch, status: run.status, ...(run.queuedBehind ? { queuedBehind: run.queuedBehind } : {}), createdAt: run.createdAt, finishedAt: run.finishedAt ?? null })), null, 2));
    return;
  }
  if (runs.length === 0) {
    io.out('no runs yet (stageline deploy --local starts one)');
    return;
  }
  for (const run of runs) {
    const envs = run.status === 'QUEUED' ? `queued behind ${run.queuedBehind ?? 'an older run'}` : run.tasks.map((task) => `${task.env}:${task.status}`).join(' ');
    io.out(`${run.createdAt}  ${run.runId}  ${run.status.padEnd(10)}  ${run.build.branch}  ${envs}`);
  }
}

/** `stageline status <run> [--json]`: one run's environments, statuses and reasons. */
export async function statusCommand(options: StoreOptions & { runId: string; json?: boolean }, io: CliIo): Promise<void> {
  const store = new DirectoryArtifactStore(localProjectPaths(io.cwd, options).storeDir);
  const run = await requireRun(store, options.runId);
  if (options.json) {
    io.out(JSON.stringify(run, null, 2));
    return;
  }
  for (const line of formatRunTable(run)) io.out(line);
}

/** `stageline cancel <run>`: the next environment will not start; a waiting gate stops now; a queued run never starts. */
export async function cancelCommand(options: StoreOptions & { runId: string }, io: CliIo): Promise<void> {
  const paths = localProjectPaths(io.cwd, options);
  const store = new DirectoryArtifactStore(paths.storeDir);
  const run = await requestCancel({ store, callbacks: new FileTaskCallbacks(store), clock: systemClock }, options.runId, { reason: 'cancelled', by: operatorIdentity(paths.root) });
  if (run.status === 'CANCELLED') io.out(`${run.runId} cancelled while queued: it never started`);
  else io.out(`cancellation requested for ${run.runId}: the environment being applied finishes, later ones are cancelled`);
}
