import { createHash } from 'node:crypto';
import { StagelineError } from '../../errors.js';
import { isPreconditionFailed, type ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import { WorkflowErrors, type TaskCallbacks } from '../../ports/task-callbacks.js';
import { parseJsonRecord, readCancelRequest, sameIdentity, serialize, updateTask } from '../workflow/records.js';
import { ownerGoneBecause, readRunOwner } from '../stack-job/run-owner.js';

/** approvals/<approvalId>.json — one approval gate. The task token stays here, server-side. */
export interface GateRecord {
  approvalId: string;
  runId: string;
  taskIndex: number;
  overlay: string;
  env: string;
  org: string;
  service: string;
  commitSha: string;
  image: string;
  triggeredBy: string;
  digest: string;
  approvers: string[];
  minApprovals: number;
  taskToken: string;
  createdAt: string;
  expiresAt: string;
  status: GateStatus;
  /** Who decided, once it is decided. */
  outcome?: string;
}

export type GateStatus = 'WAITING' | 'APPROVED' | 'REJECTED' | 'SUPERSEDED' | 'CANCELLED';

/** approvals/<approvalId>/decisions/<approver>.json — written once per approver. */
export interface Decision {
  approver: string;
  decision: 'approve' | 'reject';
  reason?: string;
  at: string;
  /** How it was given: a signed link, `stageline approve|reject`, or the local operator. */
  via: 'link' | 'cli' | 'operator';
}

export const gateKey = (approvalId: string) => `approvals/${approvalId}.json`;
export const decisionKey = (approvalId: string, approver: string) => `approvals/${approvalId}/decisions/${encodeURIComponent(approver.toLowerCase())}.json`;

/** A stable id per (run, environment): a retried step finds the same gate. */
export function approvalIdFor(runId: string, taskIndex: number): string {
  return createHash('sha256').update(`${runId}:${taskIndex}`).digest('hex').slice(0, 24);
}

/** The gate cannot take this decision; the message says why (shown on the page and by the CLI). */
export class DecisionRefused extends StagelineError {
  constructor(message: string, hint?: string) {
    super('DECISION_REFUSED', message, { hint });
  }
}

export async function readGate(store: ArtifactStore, approvalId: string): Promise<{ gate: GateRecord; etag: string } | undefined> {
  const object = await store.get(gateKey(approvalId));
  return object ? { gate: parseJsonRecord(gateKey(approvalId), object.body) as GateRecord, etag: object.etag } : undefined;
}

/**
 * Opens (or, on a retried step, re-arms with the new token) the gate of one task. Compare-and-swap:
 * a gate decided meanwhile is never re-opened (the write fails, the re-read sees it decided).
 */
export async function openGate(store: ArtifactStore, gate: GateRecord): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const existing = await readGate(store, gate.approvalId);
    if (existing && existing.gate.status !== 'WAITING') {
      throw new DecisionRefused(`approval ${gate.approvalId} was already ${existing.gate.status.toLowerCase()}`);
    }
    const record = existing ? { ...existing.gate, taskToken: gate.taskToken, expiresAt: gate.expiresAt } : gate;
    try {
      await store.put(gateKey(gate.approvalId), serialize(record), existing ? { ifMatch: existing.etag } : { ifNoneMatch: '*' });
      return;
    } catch (error) {
      if (!isPreconditionFailed(error) || attempt >= 20) throw error;
    }
  }
}

export async function listDecisions(store: ArtifactStore, approvalId: string): Promise<Decision[]> {
  const keys = await store.list(`approvals/${approvalId}/decisions/`);
  const decisions = await Promise.all(
    keys.map(async (key) => {
      const object = await store.get(key);
      return object ? [parseJsonRecord(key, object.body) as Decision] : [];
    }),
  );
  return decisions.flat().sort((a, b) => a.at.localeCompare(b.at) || a.approver.localeCompare(b.approver));
}

/** A decision on a local run whose deploy process is gone would reach nothing: refused, with the way out. */
async function assertRunOwned(store: ArtifactStore, gate: GateRecord, now: Date): Promise<void> {
  const owner = await readRunOwner(store, gate.runId);
  const gone = owner ? ownerGoneBecause(owner, now) : undefined;
  if (gone) throw new DecisionRefused(`run ${gate.runId} is no longer being run (${gone}): a decision would reach nothing`, `stageline cancel ${gate.runId} ends it; stageline retry ${gate.runId} deploys it again`);
}

export interface DecisionInput {
  approvalId: string;
  approver: string;
  decision: 'approve' | 'reject';
  reason?: string;
  via: Decision['via'];
}

export interface GateDeps {
  store: ArtifactStore;
  callbacks: TaskCallbacks;
  clock: Clock;
}

export type DecisionResult =
  | { outcome: 'recorded'; approvals: number; needed: number }
  | { outcome: 'approved' | 'rejected' };

/**
 * Records one approver's decision and completes the gate when it is decided: any rejection
 * rejects; `minApprovals` distinct approvals approve. Separation of duties: the person who
 * triggered the build may not approve; only listed approvers decide; each decides once.
 */
export async function recordDecision(deps: GateDeps, input: DecisionInput): Promise<DecisionResult> {
  const found = await readGate(deps.store, input.approvalId);
  if (!found) throw new DecisionRefused(`approval ${input.approvalId} does not exist`);
  const { gate } = found;
  const approver = input.approver.trim().toLowerCase();
  await assertOpen(deps.store, gate, deps.clock.now());
  if (!gate.approvers.some((candidate) => candidate.toLowerCase() === approver)) {
    throw new DecisionRefused(`${input.approver} is not an approver of ${gate.service} in ${gate.env}`, `approvers: ${gate.approvers.join(', ')}`);
  }
  await assertRunOwned(deps.store, gate, deps.clock.now());
  if (input.decision === 'approve' && sameIdentity(approver, gate.triggeredBy)) {
    throw new DecisionRefused(`${input.approver} triggered this build and may not approve it (separation of duties)`, 'ask another approver');
  }
  return decide(deps, gate, { ...input, approver });
}

/**
 * Local mode's `--approve` / `--reject` / terminal prompt: the operator running the deployment
 * answers the gate outright (by design: on a laptop there is no one else to ask).
 */
export async function decideAsOperator(deps: GateDeps, input: DecisionInput): Promise<DecisionResult> {
  const found = await readGate(deps.store, input.approvalId);
  if (!found) throw new DecisionRefused(`approval ${input.approvalId} does not exist`);
  await assertOpen(deps.store, found.gate, deps.clock.now());
  return decide(deps, found.gate, { ...input, approver: input.approver.trim().toLowerCase() }, { operator: true });
}

async function assertOpen(store: ArtifactStore, gate: GateRecord, now: Date): Promise<void> {
  // A cancel/supersede request may land between the gate opening and requestCancel closing it.
  const stopped = await readCancelRequest(store, gate.runId);
  if (stopped) {
    throw new DecisionRefused(`this approval is closed: run ${gate.runId} was ${stopped.reason === 'superseded' ? `superseded by ${stopped.supersededBy}` : 'cancelled'}`);
  }
  if (gate.status !== 'WAITING') {
    throw new DecisionRefused(`this approval is closed: ${gate.service} in ${gate.env} was already ${describeStatus(gate.status)}`);
  }
  if (now.getTime() > Date.parse(gate.expiresAt)) {
    throw new DecisionRefused(`this approval expired at ${gate.expiresAt}`, 'the run timed out at this gate; trigger a new build to deploy again');
  }
}

function describeStatus(status: GateStatus): string {
  return { WAITING: 'waiting', APPROVED: 'approved', REJECTED: 'rejected', SUPERSEDED: 'superseded by a newer run', CANCELLED: 'cancelled' }[status];
}

async function decide(deps: GateDeps, gate: GateRecord, input: DecisionInput, options: { operator?: boolean } = {}): Promise<DecisionResult> {
  if (input.decision === 'reject' && !input.reason?.trim()) {
    throw new DecisionRefused('a rejection needs a reason', 'say why, e.g. --reason "wrong image"');
  }
  const decision: Decision = { approver: input.approver, decision: input.decision, at: deps.clock.now().toISOString(), via: input.via };
  // One line: it ends up in the execution history's failure cause.
  const reason = input.reason?.replace(/\s+/g, ' ').trim();
  if (reason) decision.reason = reason;
  try {
    await deps.store.put(decisionKey(gate.approvalId, input.approver), serialize(decision), { ifNoneMatch: '*' });
  } catch (error) {
    if (isPreconditionFailed(error)) throw new DecisionRefused(`${input.approver} already decided on this approval`);
    throw error;
  }
  const decisions = await listDecisions(deps.store, gate.approvalId);
  const rejection = decisions.find((candidate) => candidate.decision === 'reject');
  const approvers = new Set(decisions.filter((candidate) => candidate.decision === 'approve').map((candidate) => candidate.approver));
  // Only the writer that closes the gate completes the step, so it is completed exactly once.
  if (rejection) {
    const outcome = `rejected by ${rejection.approver}: ${rejection.reason ?? ''}`.trim();
    await closeGate(deps, gate, 'REJECTED', outcome, (token) => deps.callbacks.fail(token, WorkflowErrors.Rejected, `${gate.env} ${outcome}`));
    return { outcome: 'rejected' };
  }
  if (options.operator || approvers.size >= gate.minApprovals) {
    await closeGate(deps, gate, 'APPROVED', `approved by ${[...approvers].join(', ')}`, (token) => deps.callbacks.succeed(token, { approvedBy: [...approvers] }));
    return { outcome: 'approved' };
  }
  return { outcome: 'recorded', approvals: approvers.size, needed: gate.minApprovals };
}

/**
 * Marks the gate decided (compare-and-swap: two concurrent last approvals complete it once), then
 * at once completes its step with `complete`, given the task token of the gate record that was
 * swapped (a retried step may have re-armed the gate with a new token since the caller read it),
 * and then records the outcome on the run, best effort: the workflow records the outcome of the
 * step anyway, and a failure there must not leave a closed gate whose step is never completed.
 * false when the gate was no longer waiting (someone else closed it; nothing is completed).
 */
export async function closeGate(
  deps: Pick<GateDeps, 'store' | 'clock'>,
  gate: GateRecord,
  status: GateStatus,
  outcome: string,
  complete?: (taskToken: string) => Promise<unknown>,
): Promise<boolean> {
  let closed: GateRecord;
  for (;;) {
    const current = await readGate(deps.store, gate.approvalId);
    if (!current || current.gate.status !== 'WAITING') return false;
    closed = { ...current.gate, status, outcome };
    try {
      await deps.store.put(gateKey(gate.approvalId), serialize(closed), { ifMatch: current.etag });
      break;
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }
  if (complete) await complete(closed.taskToken);
  try {
    await updateTask(deps.store, gate.runId, gate.taskIndex, (task) => {
      if (status === 'APPROVED') task.status = 'APPROVED';
      task.detail = outcome;
    }, deps.clock.now());
  } catch (error) {
    // Never the token: the approval id, the run and why.
    console.warn(`approval ${gate.approvalId} (run ${gate.runId}, ${gate.env}) ${status.toLowerCase()}; recording it on the run failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return true;
}
