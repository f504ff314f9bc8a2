import { approvalIdFor, listDecisions } from '../pipeline/approvals/gate.js';
import { jobLogKey, lastLogLines } from '../pipeline/stack-job/job-log.js';
import { FINAL_TASK_STATUSES, readCancelRequest, type RunRecord } from '../pipeline/workflow/records.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { printable } from './io.js';

/** How many lines of a failed job's log `status` shows. */
export const FAILED_LOG_LINES = 10;

/**
 * What `status` adds under a run's table: a cancellation asked for and not yet done, the
 * approvals each gate received so far, and the end of each failed stack job's log.
 */
export async function runDetails(store: ArtifactStore, run: RunRecord, options: { project: string }): Promise<string[]> {
  const lines: string[] = [];
  const cancel = await readCancelRequest(store, run.runId).catch(() => undefined);
  if (cancel && (run.status === 'RUNNING' || run.status === 'QUEUED')) {
    lines.push(`cancellation requested by ${cancel.by} at ${cancel.at}${cancel.reason === 'superseded' && cancel.supersededBy ? ` (superseded by ${cancel.supersededBy})` : ''}: the environment in flight finishes, later ones are cancelled`);
  }
  for (const task of run.tasks) {
    if (!task.gated) continue;
    const decisions = await listDecisions(store, task.approvalId ?? approvalIdFor(run.runId, task.index)).catch(() => []);
    if (decisions.length === 0) continue;
    const received = decisions.map((decision) => `${decision.decision === 'approve' ? 'approved' : 'rejected'} by ${decision.approver} at ${decision.at}${decision.reason ? ` (${decision.reason})` : ''}`);
    lines.push(`${task.env}: ${received.join('; ')}${task.minApprovals && task.status === 'WAITING_APPROVAL' ? ` — ${decisions.filter((decision) => decision.decision === 'approve').length} of ${task.minApprovals} needed` : ''}`);
  }
  for (const task of run.tasks) {
    if (task.status !== 'FAILED' || !FINAL_TASK_STATUSES.includes(task.status)) continue;
    const tail = await lastLogLines(store, jobLogKey(run.runId, task.index, task.overlay), FAILED_LOG_LINES);
    if (tail.length === 0) continue;
    lines.push(`last lines of ${task.env}'s stack-job log (all of it: stageline logs ${run.runId} ${task.env}${options.project === '.' ? '' : ` --project ${options.project}`}):`);
    for (const line of tail) lines.push(`  ${line}`);
  }
  return lines.map(printable);
}
