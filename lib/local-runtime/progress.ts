import type { ArtifactStore } from '../ports/artifact-store.js';
import { readRun, type RunRecord, type RunTask } from '../pipeline/workflow/records.js';

/** Calls `onChange` with each environment whose status or detail changed, until `stop()`. */
export function watchRun(store: ArtifactStore, runId: string, onChange: (task: RunTask, run: RunRecord) => void, intervalMs = 150): { stop: () => Promise<void> } {
  const seen = new Map<number, string>();
  let stopped = false;
  const poll = async () => {
    const run = await readRun(store, runId);
    for (const task of run?.tasks ?? []) {
      const signature = `${task.status}|${task.detail ?? ''}`;
      if (seen.get(task.index) !== signature) {
        seen.set(task.index, signature);
        onChange(task, run!);
      }
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await poll().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    await poll().catch(() => undefined);
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** The final table `deploy` and `status` print: one line per environment. */
export function formatRunTable(run: RunRecord): string[] {
  const rows = run.tasks.map((task) => [String(task.index + 1), task.overlay, task.env, task.status, task.detail ?? '']);
  const header = ['#', 'OVERLAY', 'ENVIRONMENT', 'STATUS', 'DETAIL'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  const lines = [`run ${run.runId}: ${run.status}`, line(header), ...rows.map(line)];
  if (run.status === 'QUEUED') lines.push(`queued${run.queuedBehind ? ` behind ${run.queuedBehind}` : ''}: it starts when the runs before it of ${run.build.service} on ${run.build.branch} have finished`);
  if (run.failure) lines.push(`stopped ${run.failure.env ? `at ${run.failure.env}` : neverStarted(run) ? 'before it started' : 'at resolving manifests'}: ${run.failure.cause}`);
  for (const skipped of run.skipped) lines.push(`skipped ${skipped.overlay}: ${skipped.detail}`);
  return lines;
}

/** A queued run cancelled, superseded or not startable before its execution began (it has no tasks yet). */
function neverStarted(run: RunRecord): boolean {
  return run.tasks.length === 0 && ['Stageline.Cancelled', 'Stageline.Superseded', 'Stageline.StartFailed'].includes(run.failure?.error ?? '');
}
