import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import { WorkflowErrors, type TaskCallbacks } from '../../ports/task-callbacks.js';
import { closeGate, readGate } from '../approvals/gate.js';
import { cancelKey, requireRun, serialize, updateRun, updateRunIf, type CancelRequest, type RunRecord } from './records.js';
import { StagelineError } from '../../errors.js';

export interface CancelDeps {
  store: ArtifactStore;
  callbacks: TaskCallbacks;
  clock: Clock;
}

/**
 * Stops a run: a QUEUED run becomes CANCELLED (or SUPERSEDED) without ever starting. For a
 * running one, the cancel marker makes the next workflow step refuse to start (the environment
 * being applied finishes first); a run waiting at a gate stops at once (its gate is closed and
 * the waiting step failed with Stageline.Cancelled / Stageline.Superseded).
 */
export async function requestCancel(deps: CancelDeps, runId: string, request: Omit<CancelRequest, 'at'>): Promise<RunRecord> {
  let run = await requireRun(deps.store, runId);
  if (run.status !== 'RUNNING' && run.status !== 'QUEUED') {
    throw new StagelineError('RUN_FINISHED', `run ${runId} already finished (${run.status})`, { hint: 'only a running or queued run can be cancelled' });
  }
  const now = deps.clock.now();
  // The marker first: a queued run that starts right now still stops before its first environment.
  await deps.store.put(cancelKey(runId), serialize({ ...request, at: now.toISOString() }));
  if (run.status === 'QUEUED') {
    // Never started: it ends here, and the compare-and-swap keeps it from starting later.
    const superseded = request.reason === 'superseded';
    const ended = await updateRunIf(deps.store, runId, (record) => record.status === 'QUEUED', (record) => {
      record.status = superseded ? 'SUPERSEDED' : 'CANCELLED';
      record.finishedAt = now.toISOString();
      record.failure = {
        error: superseded ? WorkflowErrors.Superseded : WorkflowErrors.Cancelled,
        cause: superseded ? `superseded by run ${request.supersededBy} while queued; it never started` : `cancelled by ${request.by} while queued; it never started`,
      };
      if (request.supersededBy) record.supersededBy = request.supersededBy;
    }, now);
    if (ended) return ended;
    // It started in the meantime: stop it as a running run.
    run = await requireRun(deps.store, runId);
    if (run.status !== 'RUNNING') {
      throw new StagelineError('RUN_FINISHED', `run ${runId} already finished (${run.status})`, { hint: 'only a running or queued run can be cancelled' });
    }
  }
  // The run as it is now that the marker is written: a gate opened since the first read is seen
  // here, and a gate opened after this read sees the marker (Wait for approval checks it again).
  const updated = request.supersededBy
    ? await updateRun(deps.store, runId, (record) => {
        record.supersededBy = request.supersededBy;
      }, now)
    : await requireRun(deps.store, runId);
  const superseded = request.reason === 'superseded';
  const outcome = superseded ? `superseded by run ${request.supersededBy}` : `cancelled by ${request.by}`;
  const error = superseded ? WorkflowErrors.Superseded : WorkflowErrors.Cancelled;
  for (const task of updated.tasks) {
    if (task.status !== 'WAITING_APPROVAL' || !task.approvalId) continue;
    const found = await readGate(deps.store, task.approvalId);
    if (!found || found.gate.status !== 'WAITING') continue;
    await closeGate(deps, found.gate, superseded ? 'SUPERSEDED' : 'CANCELLED', outcome, (token) => deps.callbacks.fail(token, error, outcome));
  }
  return updated;
}
