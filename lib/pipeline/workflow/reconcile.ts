import * as z from 'zod/mini';
import { safeParse } from '../config/zod.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { ExecutionStarter } from '../../ports/execution-starter.js';
import { WorkflowErrors } from '../../ports/task-callbacks.js';
import { approvalIdFor, closeGate, readGate, type GateStatus } from '../approvals/gate.js';
import { laneOf, startNextQueued } from './queue.js';
import { stopJobs } from './steps.js';
import type { StackJobLauncher } from '../../ports/stack-job-launcher.js';
import { FINAL_TASK_STATUSES, readCancelRequest, readRun, updateRunAndTasksIf, type RunRecord, type RunStatus, type RunTask, type TaskStatus } from './records.js';

/**
 * Reconciling a run whose execution ended outside the state machine's Catch.
 *
 * The workflow records every outcome it sees itself: "Record success", or the Catch path's "Cancel
 * remaining environments". An execution can still end without either: `States.Runtime` or
 * `States.DataLimitExceeded` (not caught by `States.ALL`), a manual StopExecution, an execution
 * timeout, or "Cancel remaining environments" failing out of its retries. Its run.json then stays
 * RUNNING for ever, an open gate still shows Approve / Reject, and under `concurrency: queue` the
 * run's lane (service and branch) is blocked: a RUNNING run holds it.
 *
 * Step Functions publishes "Step Functions Execution Status Change" to EventBridge when an
 * execution ends; the stack routes FAILED, TIMED_OUT and ABORTED of this state machine here. For a
 * run still RUNNING this:
 *
 * 1. closes every gate of the run still WAITING (CANCELLED, no callback: the execution is gone);
 * 2. marks, with one compare-and-swap on `status === 'RUNNING'`, each environment that had
 *    started and is not final FAILED (FAILED), TIMED_OUT (TIMED_OUT) or CANCELLED (ABORTED;
 *    SUPERSEDED when the run's cancel marker says it was superseded), each environment not yet
 *    started CANCELLED ("not deployed: ..."), and the run FAILED / CANCELLED / SUPERSEDED with
 *    the event's `error` and `cause`;
 * 3. starts the next queued run of the same service and branch (startNextQueued, as Record
 *    success and Cancel remaining environments do).
 *
 * Idempotent: a run that is already final (every run the Catch path handled: its execution ends
 * FAILED too, so this event follows every failed run) is left as it is, and so is a repeated
 * event. Only step 3 runs again then: it starts nothing unless a queued run of the lane was left
 * waiting with nothing RUNNING (an earlier attempt ended between steps 2 and 3).
 *
 * Never throws for an event it does not act on (another state machine, a status it does not
 * handle, a run that does not exist): it says why in the outcome. A store or Step Functions error
 * is thrown, so the invocation is retried and, at the end, lands in the dead-letter queue.
 */
export interface ReconcileDeps {
  store: ArtifactStore;
  clock: Clock;
  /** Starts the next queued run of the lane (`concurrency: queue`). Without it nothing is started. */
  starter?: ExecutionStarter;
  /** The deployment-stage state machine: events of any other are ignored. Unset: not checked. */
  stateMachineArn?: string;
  /** Stops the stack job (CodeBuild build) of an environment still applying: its execution is gone. */
  jobStopper?: Pick<StackJobLauncher, 'stop'>;
}

export type ReconcileOutcome =
  | { outcome: 'reconciled'; runId: string; status: RunStatus; gatesClosed: string[]; startedNext?: string }
  | { outcome: 'already-final'; runId: string; status: RunStatus; startedNext?: string }
  | { outcome: 'ignored'; runId?: string; reason: string };

/** Execution statuses that end an execution without Stageline recording it (the rule's `detail.status`). */
export const RECONCILED_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;
type EndedStatus = (typeof RECONCILED_EXECUTION_STATUSES)[number];

const nullableString = z.optional(z.nullable(z.string()));

/** The fields of the event's `detail` that are read (EventBridge "Step Functions Execution Status Change"). */
const detailSchema = z.looseObject({
  executionArn: nullableString,
  stateMachineArn: nullableString,
  name: nullableString,
  status: z.string(),
  /** The execution's input as a JSON string; null when it was too large to include. */
  input: nullableString,
  error: nullableString,
  cause: nullableString,
});

const eventSchema = z.looseObject({ source: z.optional(z.string()), 'detail-type': z.optional(z.string()), detail: detailSchema });

/** Run ids are execution names (`<service>-<commit12>-<digest12>`, see executionNameFor): never a path. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;

/** Error codes for an execution that ended with none (a StopExecution without an error, a timeout). */
export const ExecutionEndErrors = {
  FAILED: 'Stageline.ExecutionFailed',
  TIMED_OUT: 'States.Timeout',
  ABORTED: 'Stageline.ExecutionAborted',
} as const satisfies Record<EndedStatus, string>;

const STARTED: readonly TaskStatus[] = ['WAITING_APPROVAL', 'APPROVED', 'APPLYING'];

export async function reconcileExecution(deps: ReconcileDeps, event: unknown): Promise<ReconcileOutcome> {
  const parsed = safeParse(eventSchema, event);
  if (!parsed.success) return { outcome: 'ignored', reason: 'not a Step Functions Execution Status Change event (no detail.status)' };
  const detail = parsed.data.detail;
  const status = detail.status as EndedStatus;
  if (!RECONCILED_EXECUTION_STATUSES.includes(status)) return { outcome: 'ignored', reason: `execution status ${detail.status} needs no reconciliation` };
  if (deps.stateMachineArn && detail.stateMachineArn !== deps.stateMachineArn) {
    return { outcome: 'ignored', reason: `execution of another state machine (${detail.stateMachineArn ?? 'none named'})` };
  }

  const found = runIdOf(detail.name ?? undefined, detail.input ?? undefined);
  if ('reason' in found) return { outcome: 'ignored', reason: found.reason };
  const { runId } = found;

  const run = await readRun(deps.store, runId);
  if (!run) return { outcome: 'ignored', runId, reason: `run ${runId} does not exist in the store` };
  if (run.status !== 'RUNNING') {
    if (run.status === 'QUEUED') return { outcome: 'ignored', runId, reason: `run ${runId} is QUEUED: it has no execution to reconcile` };
    const startedNext = await startNext(deps, run);
    return { outcome: 'already-final', runId, status: run.status, ...(startedNext ? { startedNext } : {}) };
  }

  const error = nonEmpty(detail.error) ?? ExecutionEndErrors[status];
  const cause = oneLine(`the execution ${VERB[status]}${describeFailure(detail.error, detail.cause)}`);
  // An aborted run that was being stopped by Stageline (superseded, `stageline cancel`) keeps that meaning.
  const stopped = status === 'ABORTED' ? await readCancelRequest(deps.store, runId) : undefined;
  const superseded = stopped?.reason === 'superseded';
  const runStatus: RunStatus = status === 'ABORTED' ? (superseded ? 'SUPERSEDED' : 'CANCELLED') : 'FAILED';
  const startedStatus: TaskStatus = status === 'FAILED' ? 'FAILED' : status === 'TIMED_OUT' ? 'TIMED_OUT' : superseded ? 'SUPERSEDED' : 'CANCELLED';
  const runError = status === 'ABORTED' && stopped ? (superseded ? WorkflowErrors.Superseded : WorkflowErrors.Cancelled) : error;

  // 1. Gates first: a retry after a crash between 1 and 2 finds the run RUNNING and closes nothing twice.
  const gatesClosed = await closeOpenGates(deps, run, superseded ? 'SUPERSEDED' : 'CANCELLED', `closed: ${cause}`);

  // 2. One compare-and-swap: exactly one writer ends a RUNNING run. A build still applying for the
  // gone execution is stopped first (StopBuild), so nothing applies after the run is recorded ended.
  await stopJobs(deps.jobStopper, run.tasks.filter((task) => task.status === 'APPLYING' && task.stackJobId).map((task) => task.stackJobId!), `the execution ${VERB[status]}`);
  const now = deps.clock.now();
  const ended = await updateRunAndTasksIf(deps.store, runId, (record) => record.status === 'RUNNING', (record) => {
    const blamed =
      record.tasks.find((task) => STARTED.includes(task.status)) ?? record.tasks.find((task) => FINAL_TASK_STATUSES.includes(task.status) && task.status !== 'SUCCEEDED');
    for (const task of record.tasks) {
      if (FINAL_TASK_STATUSES.includes(task.status)) continue;
      if (STARTED.includes(task.status)) {
        task.status = startedStatus;
        task.finishedAt = now.toISOString();
        task.detail = cause;
      } else {
        task.status = 'CANCELLED';
        task.detail = `not deployed: ${cause}`;
      }
    }
    record.status = runStatus;
    record.failure = { ...(blamed ? { env: blamed.env } : {}), error: runError, cause };
    record.finishedAt = now.toISOString();
  }, now);
  if (!ended) {
    // Someone else ended it between the read and the write.
    const current = (await readRun(deps.store, runId))!;
    const startedNext = await startNext(deps, current);
    return { outcome: 'already-final', runId, status: current.status, ...(startedNext ? { startedNext } : {}) };
  }

  // 3. The lane moves on.
  const startedNext = await startNext(deps, ended);
  return { outcome: 'reconciled', runId, status: ended.status, gatesClosed, ...(startedNext ? { startedNext } : {}) };
}

const VERB: Record<EndedStatus, string> = { FAILED: 'failed', TIMED_OUT: 'timed out', ABORTED: 'was stopped' };

/**
 * The run id: the execution's input carries it (`{ runId, build }`, ExecutionInput) and its name is
 * it (start-pipeline and startNextQueued name the execution after the run). The input may be left
 * out of the event (too large): the name alone then. Both present and different: not our execution.
 */
function runIdOf(name: string | undefined, input: string | undefined): { runId: string } | { reason: string } {
  let fromInput: string | undefined;
  if (input) {
    try {
      const value = JSON.parse(input) as unknown;
      if (value !== null && typeof value === 'object' && typeof (value as { runId?: unknown }).runId === 'string') fromInput = (value as { runId: string }).runId;
    } catch {
      // Not JSON: the name decides.
    }
  }
  if (fromInput !== undefined && name && fromInput !== name) {
    return { reason: `execution ${name} carries runId ${JSON.stringify(fromInput)} in its input: not an execution Stageline started` };
  }
  const runId = fromInput ?? name;
  if (!runId || !RUN_ID.test(runId)) return { reason: `execution ${JSON.stringify(name ?? null)} names no Stageline run` };
  return { runId };
}

/** Closes, without answering the (gone) execution, each gate of the run's unfinished environments still WAITING. */
export async function closeOpenGates(deps: Pick<ReconcileDeps, 'store' | 'clock'>, run: RunRecord, status: GateStatus, outcome: string): Promise<string[]> {
  const closed: string[] = [];
  const gated = run.tasks.filter((task: RunTask) => task.gated && !FINAL_TASK_STATUSES.includes(task.status));
  for (const task of gated) {
    // The id is stable per (run, environment): a gate opened just before its task recorded it is found too.
    const approvalId = task.approvalId ?? approvalIdFor(run.runId, task.index);
    const found = await readGate(deps.store, approvalId);
    if (!found || found.gate.status !== 'WAITING') continue;
    if (await closeGate(deps, found.gate, status, outcome)) closed.push(approvalId);
  }
  return closed;
}

async function startNext(deps: ReconcileDeps, run: RunRecord): Promise<string | undefined> {
  if (!deps.starter) return undefined;
  return startNextQueued({ store: deps.store, clock: deps.clock, starter: deps.starter }, laneOf(run));
}

/** `: <cause>` for people: a Lambda error's JSON Cause gives its errorMessage; else the error code alone. */
function describeFailure(error: string | null | undefined, cause: string | null | undefined): string {
  const text = nonEmpty(cause);
  if (text) return `: ${errorMessageOf(text)}`;
  const code = nonEmpty(error);
  return code ? `: ${code}` : '';
}

function errorMessageOf(cause: string): string {
  if (!cause.trimStart().startsWith('{')) return cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: kept as it is.
  }
  return cause;
}

function nonEmpty(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function oneLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}
