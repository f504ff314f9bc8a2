import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { listRunsAndCorrupt, requireRun, type RunRecord } from '../../pipeline/workflow/records.js';
import { formatRunTable, watchRun } from '../../local-runtime/progress.js';
import { runDetails } from '../run-details.js';
import { localProcessLiveness } from '../../local-runtime/process-liveness.js';
import { requestCancel } from '../../pipeline/workflow/cancellation.js';
import { FileTaskCallbacks } from '../../adapters/local/file-task-callbacks.js';
import { operatorIdentity } from '../../adapters/local/operator-identity.js';
import { systemClock } from '../../ports/clock.js';
import { printable, type CliIo } from '../io.js';
import { localProjectPaths } from '../../adapters/local/local-project.js';

interface StoreOptions {
  project: string;
  stateDir?: string;
}

/**
 * `stageline runs`: every run in the local store, newest first. A run whose run.json is corrupt
 * is listed last as CORRUPT with its file and what is wrong, so one broken record neither hides
 * the others nor fails the command. Record texts are printed with control characters escaped.
 */
export async function runsCommand(options: StoreOptions & { json?: boolean }, io: CliIo): Promise<void> {
  const store = new DirectoryArtifactStore(localProjectPaths(io.cwd, options).storeDir);
  const { runs, corrupt } = await listRunsAndCorrupt(store);
  if (options.json) {
    io.out(
      JSON.stringify(
        [
          ...runs.map((run) => ({ runId: run.runId, service: run.build.service, commitSha: run.build.commitSha, branch: run.build.branch, status: run.status, ...(run.queuedBehind ? { queuedBehind: run.queuedBehind } : {}), createdAt: run.createdAt, finishedAt: run.finishedAt ?? null })),
          ...corrupt.map((broken) => ({ runId: broken.runId, status: 'CORRUPT', corrupt: { file: broken.key, problem: broken.problem } })),
        ],
        null,
        2,
      ),
    );
    return;
  }
  if (runs.length === 0 && corrupt.length === 0) {
    io.out('no runs yet (stageline deploy --local starts one)');
    return;
  }
  for (const run of runs) {
    const envs = run.status === 'QUEUED' ? `queued behind ${run.queuedBehind ?? 'an older run'}` : run.tasks.map((task) => `${task.env}:${task.status}`).join(' ');
    io.out(printable(`${run.createdAt}  ${run.runId}  ${run.status.padEnd(10)}  ${run.build.branch}  ${envs}`));
  }
  for (const broken of corrupt) io.out(printable(`${'?'.padEnd(24)}  ${broken.runId}  ${'CORRUPT'.padEnd(10)}  ${broken.key}: ${broken.problem}`));
}

/** `stageline status <run> [--json]`: one run's environments, statuses and reasons. */
export async function statusCommand(options: StoreOptions & { runId: string; json?: boolean; follow?: boolean }, io: CliIo): Promise<void> {
  const store = new DirectoryArtifactStore(localProjectPaths(io.cwd, options).storeDir);
  let run = await requireRun(store, options.runId);
  if (options.follow && !options.json) run = await followRun(store, run, io);
  if (options.json) {
    io.out(JSON.stringify(run, null, 2));
    return;
  }
  for (const line of formatRunTable(run)) io.out(printable(line));
  for (const line of await runDetails(store, run, options)) io.out(line);
}

/** `status --follow`: one line per environment status change until the run has ended (any process may be running it). */
async function followRun(store: DirectoryArtifactStore, run: RunRecord, io: CliIo): Promise<RunRecord> {
  if (!ACTIVE_RUN_STATUSES.includes(run.status)) return run;
  io.err(printable(`following ${run.runId} (${run.build.service} ${run.build.commitSha.slice(0, 12)} → ${run.build.image}) until it ends`));
  const watcher = watchRun(store, run.runId, (task) => io.err(printable(`  ${task.env.padEnd(20)} ${task.status}${task.detail ? `  ${task.detail}` : ''}`)), 250);
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const current = await requireRun(store, run.runId);
      if (!ACTIVE_RUN_STATUSES.includes(current.status)) return current;
    }
  } finally {
    await watcher.stop();
  }
}

const ACTIVE_RUN_STATUSES: readonly RunRecord['status'][] = ['RUNNING', 'QUEUED'];

/** `stageline cancel <run>`: the next environment will not start; a waiting gate stops now; a queued run never starts. */
export async function cancelCommand(options: StoreOptions & { runId: string }, io: CliIo): Promise<void> {
  const paths = localProjectPaths(io.cwd, options);
  const store = new DirectoryArtifactStore(paths.storeDir);
  const before = await requireRun(store, options.runId);
  const run = await requestCancel({ store, callbacks: new FileTaskCallbacks(store), clock: systemClock, liveness: localProcessLiveness }, options.runId, { reason: 'cancelled', by: operatorIdentity(paths.root) });
  if (run.status === 'CANCELLED' && before.status === 'QUEUED') io.out(`${run.runId} cancelled while queued: it never started`);
  else if (run.status === 'RUNNING' || run.status === 'QUEUED') io.out(`cancellation requested for ${run.runId}: the job in flight is stopped, later environments are cancelled`);
  else io.out(printable(`${run.runId} ${run.status}${run.failure ? `: ${run.failure.cause}` : ''}`));
}
