import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { localProjectPaths } from '../../adapters/local/local-project.js';
import { UsageError } from '../../errors.js';
import { jobLogKey } from '../../pipeline/stack-job/job-log.js';
import { FINAL_TASK_STATUSES, requireRun, type RunTask } from '../../pipeline/workflow/records.js';
import { printable, type CliIo } from '../io.js';

/** How often `--follow` looks at the log again. */
const FOLLOW_INTERVAL_MS = 250;

/**
 * `stageline logs <run> [<env>]`: the stack-job logs of a run (every environment's, each after a
 * `==> env <==` line, or one environment's), as the runner wrote them: redacted, size-capped.
 * `--follow` prints new lines until the environment's job has ended.
 */
export async function logsCommand(options: { project: string; stateDir?: string; runId: string; env?: string; follow?: boolean }, io: CliIo): Promise<void> {
  const store = new DirectoryArtifactStore(localProjectPaths(io.cwd, options).storeDir);
  const run = await requireRun(store, options.runId);
  let tasks: RunTask[] = run.tasks;
  if (options.env !== undefined) {
    tasks = run.tasks.filter((task) => task.env === options.env || task.overlay === options.env);
    if (tasks.length === 0) {
      throw new UsageError(`run ${options.runId} has no environment ${JSON.stringify(options.env)}`, { hint: `its environments: ${run.tasks.map((task) => task.env).join(', ') || 'none yet'}` });
    }
  }
  if (options.follow && tasks.length !== 1) throw new UsageError('--follow follows one environment: name it', { hint: `stageline logs ${options.runId} <env> --follow` });

  for (const task of tasks) {
    const key = jobLogKey(run.runId, task.index, task.overlay);
    if (tasks.length > 1) io.out(`==> ${task.env} (${task.status}) <==`);
    let printed = 0;
    for (;;) {
      const lines = ((await store.get(key))?.body ?? '').split('\n').filter((line, index, all) => index < all.length - 1 || line !== '');
      for (const line of lines.slice(printed)) io.out(printable(line));
      printed = Math.max(printed, lines.length);
      if (!options.follow) break;
      const current = (await requireRun(store, run.runId)).tasks[task.index];
      if (!current || FINAL_TASK_STATUSES.includes(current.status)) {
        const rest = ((await store.get(key))?.body ?? '').split('\n').filter((line) => line !== '');
        for (const line of rest.slice(printed)) io.out(printable(line));
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
    }
    if (printed === 0 && !options.follow) io.out(task.status === 'PENDING' || task.status === 'WAITING_APPROVAL' ? '(no stack job yet)' : '(no log)');
  }
}
