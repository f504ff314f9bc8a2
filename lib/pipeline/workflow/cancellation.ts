import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { ExecutionStarter } from '../../ports/execution-starter.js';
import type { ProcessLiveness } from '../../ports/stack-job-launcher.js';
import { WorkflowErrors, type TaskCallbacks } from '../../ports/task-callbacks.js';
import { closeGate, readGate } from '../approvals/gate.js';
import { parseHolder, type LeaseHolder } from '../stack-job/environment-lease.js';
import { environmentLockKey } from '../stack-job/keys.js';
import { ownerGoneBecause, readRunOwner, RUN_OWNER_STALE_MS } from '../stack-job/run-owner.js';
import { laneOf, startNextQueued } from './queue.js';
import { closeOpenGates } from './reconcile.js';
import {
  cancelKey,
  FINAL_TASK_STATUSES,
  listRunsOfService,
  readRun,
  requireRun,
  serialize,
  updateRun,
  updateRunAndTasksIf,
  updateRunIf,
  type CancelRequest,
  type RunRecord,
  type TaskStatus,
} from './records.js';
import { StagelineError } from '../../errors.js';
import { CorruptRecordError } from '../errors.js';

export interface CancelDeps {
  store: ArtifactStore;
  callbacks: TaskCallbacks;
  clock: Clock;
  /** This machine's processes (local): a dead owner or runner is known at once instead of by heartbeat age. */
  liveness?: ProcessLiveness;
  /** How long a `cancelled` request waits for the run to be final. Default {@link CANCEL_WAIT_MS}; 0: never waits. */
  waitMs?: number;
  /** Starts the next queued run of the lane when this process ends an abandoned run. */
  starter?: ExecutionStarter;
}

/**
 * Stops a run: a QUEUED run becomes CANCELLED (or SUPERSEDED) without ever starting. For a
 * running one, the cancel marker makes the next workflow step refuse to start and the stack job
 * in flight stop its commands (it looks for the marker every second or so); a run waiting at a
 * gate stops at once (its gate is closed and the waiting step failed with Stageline.Cancelled /
 * Stageline.Superseded).
 *
 * A local run whose owner (the `deploy --local` running its workflow) is gone is ended here, by
 * {@link endAbandonedRun}: gates closed, the job's processes gone, leases freed, the run
 * CANCELLED (SUPERSEDED). A `cancelled` request waits (up to `waitMs`) for the run to be final,
 * whoever ends it, and returns it as it is then.
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
    // A corrupt gate record cannot be closed here (its token is unreadable): the cancel marker still
    // stops the run, and a gate nobody can read takes no decision either.
    const found = await readGate(deps.store, task.approvalId).catch((failure: unknown) => {
      if (failure instanceof CorruptRecordError) return undefined;
      throw failure;
    });
    if (!found || found.gate.status !== 'WAITING') continue;
    await closeGate(deps, found.gate, superseded ? 'SUPERSEDED' : 'CANCELLED', outcome, (token) => deps.callbacks.fail(token, error, outcome));
  }
  return (await driveToFinal(deps, runId, superseded ? 'SUPERSEDED' : 'CANCELLED', error, outcome)) ?? updated;
}

/**
 * After the marker: ends the run here if its owner is gone; a `cancelled` request waits for it to
 * be final (the live owner ends it, or its owner turns out gone and it is ended here). undefined:
 * nothing more to say than the run as it was after the marker.
 */
async function driveToFinal(deps: CancelDeps, runId: string, status: 'CANCELLED' | 'SUPERSEDED', error: string, outcome: string): Promise<RunRecord | undefined> {
  const waitMs = status === 'SUPERSEDED' ? 0 : (deps.waitMs ?? CANCEL_WAIT_MS);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const ended = await endAbandonedRun(deps, runId, { status, error, cause: outcome }).catch(() => undefined);
    if (ended?.outcome === 'ended') return ended.run;
    if (ended?.outcome === 'no-owner') return undefined;
    const run = await readRun(deps.store, runId);
    if (!run || run.status !== 'RUNNING') return run;
    if (Date.now() >= deadline) return run;
    await sleep(250);
  }
}

// --- Runs whose owner is gone ------------------------------------------------------------------

/**
 * How long `stageline cancel` waits for a run to reach a final state: its owner stops it (a gate
 * closes at once; a stack job sees the cancel marker within a second or two and stops its
 * commands), or, when the owner is gone, this process does once the owner is known to be gone
 * (a heartbeat older than {@link RUN_OWNER_STALE_MS}).
 */
export const CANCEL_WAIT_MS = RUN_OWNER_STALE_MS + 10_000;

export interface AbandonedRunDeps {
  store: ArtifactStore;
  clock: Clock;
  /** This machine's processes: a dead owner or runner is known at once. Without it, heartbeat age decides. */
  liveness?: ProcessLiveness;
  /** Starts the next queued run of the lane once the abandoned run is ended. */
  starter?: ExecutionStarter;
}

export type AbandonedOutcome =
  | { outcome: 'ended'; run: RunRecord; leasesFreed: string[] }
  | { outcome: 'owner-alive' }
  | { outcome: 'job-alive'; env: string }
  | { outcome: 'not-running' | 'no-owner' };

/**
 * Drives a RUNNING run whose owner (the `deploy --local` running its workflow) is gone to a final
 * state, as the workflow's Catch would have: its waiting gates are closed (they can no longer be
 * approved), each started environment not final gets `status` (FAILED, or CANCELLED for a
 * cancel), each later one CANCELLED, the run FAILED / CANCELLED (SUCCEEDED when every environment
 * had succeeded), the leases its jobs held are freed, and the next queued run of its lane starts.
 *
 * Nothing is ended while a process of one of its stack jobs is alive (the runner survives its
 * owner and reports as usual): `job-alive`; the caller looks again later. A run without an owner
 * record (AWS, where Step Functions owns executions) is left alone.
 */
export async function endAbandonedRun(deps: AbandonedRunDeps, runId: string, how: { status: 'FAILED' | 'CANCELLED' | 'SUPERSEDED'; error: string; cause?: string }): Promise<AbandonedOutcome> {
  const run = await readRun(deps.store, runId);
  if (!run || run.status !== 'RUNNING') return { outcome: 'not-running' };
  const owner = await readRunOwner(deps.store, runId);
  if (!owner) return { outcome: 'no-owner' };
  const now = deps.clock.now();
  const gone = ownerGoneBecause(owner, now, deps.liveness);
  if (!gone) return { outcome: 'owner-alive' };

  // A job still alive finishes first (or stops: it sees the cancel marker); its lease says so.
  const leases = new Map<string, { key: string; holder: LeaseHolder | undefined; etag: string }>();
  for (const task of run.tasks) {
    const key = environmentLockKey(run.build.org, task.env, run.build.service);
    const lock = await deps.store.get(key);
    if (!lock) continue;
    const holder = parseHolder(lock.body);
    if (holder && holder.runId !== runId) continue;
    if (holder && jobMayBeAlive(holder, now, deps.liveness)) {
      return { outcome: 'job-alive', env: task.env };
    }
    leases.set(key, { key, holder, etag: lock.etag });
  }

  const cause = oneLine(how.cause ? `${how.cause}; ${gone}` : `the run was abandoned: ${gone}`);
  await closeOpenGates(deps, run, how.status === 'SUPERSEDED' ? 'SUPERSEDED' : 'CANCELLED', `closed: ${cause}`);
  const ended = await updateRunAndTasksIf(deps.store, runId, (record) => record.status === 'RUNNING', (record) => {
    const started: readonly TaskStatus[] = ['WAITING_APPROVAL', 'APPROVED', 'APPLYING'];
    const blamed = record.tasks.find((task) => started.includes(task.status)) ?? record.tasks.find((task) => FINAL_TASK_STATUSES.includes(task.status) && task.status !== 'SUCCEEDED');
    const allSucceeded = record.tasks.length > 0 && record.tasks.every((task) => task.status === 'SUCCEEDED');
    for (const task of record.tasks) {
      if (FINAL_TASK_STATUSES.includes(task.status)) continue;
      if (started.includes(task.status)) {
        task.status = how.status;
        task.finishedAt = now.toISOString();
        task.detail = cause;
      } else {
        task.status = 'CANCELLED';
        task.detail = `not deployed: ${cause}`;
      }
    }
    record.finishedAt = now.toISOString();
    if (allSucceeded && how.status === 'FAILED') {
      record.status = 'SUCCEEDED';
      return;
    }
    record.status = how.status;
    record.failure = { ...(blamed ? { env: blamed.env } : {}), error: how.error, cause };
  }, now);
  // Only now that no process of its jobs is left: the leases it held are free.
  const leasesFreed: string[] = [];
  for (const lease of leases.values()) {
    const current = await deps.store.get(lease.key);
    if (current?.etag !== lease.etag) continue;
    await deps.store.delete(lease.key);
    leasesFreed.push(lease.key);
  }
  const final = ended ?? (await requireRun(deps.store, runId));
  if (deps.starter) await startNextQueued({ store: deps.store, clock: deps.clock, starter: deps.starter }, laneOf(final));
  return { outcome: 'ended', run: final, leasesFreed };
}

/** A lease holder's runner or commands may still run: its processes (this machine), else a heartbeat younger than RUN_OWNER_STALE_MS. */
function jobMayBeAlive(holder: LeaseHolder, now: Date, liveness: ProcessLiveness | undefined): boolean {
  if (holder.owner && liveness) {
    const runner = liveness.isAlive(holder.owner);
    if (runner !== undefined) return runner || (holder.processGroup !== undefined && liveness.isGroupAlive(holder.owner.host, holder.processGroup) === true);
  }
  const beat = Date.parse(holder.heartbeatAt ?? '');
  return !Number.isNaN(beat) && now.getTime() - beat <= RUN_OWNER_STALE_MS;
}

/**
 * At the start of a `deploy --local`: every RUNNING run of the service whose owner is gone (killed,
 * crashed) and none of whose jobs is alive is ended FAILED (`Stageline.OwnerLost`), its gates
 * closed, its leases freed and its lane moved on. Returns what was ended, for the operator.
 */
export async function recoverAbandonedRuns(deps: AbandonedRunDeps, service: string): Promise<RunRecord[]> {
  const ended: RunRecord[] = [];
  for (const run of await listRunsOfService(deps.store, service)) {
    if (run.status !== 'RUNNING') continue;
    // One run that cannot be recovered (a record that cannot be read) never blocks the new deploy.
    const result = await endAbandonedRun(deps, run.runId, { status: 'FAILED', error: OWNER_LOST }).catch(() => undefined);
    if (result?.outcome === 'ended') ended.push(result.run);
  }
  return ended;
}

/** The error of a run ended because its owner (the deploy process running it) is gone. */
export const OWNER_LOST = 'Stageline.OwnerLost';

function oneLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
