import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { FileTaskCallbacks } from '../../adapters/local/file-task-callbacks.js';
import { localProjectPaths } from '../../adapters/local/local-project.js';
import { operatorIdentity } from '../../adapters/local/operator-identity.js';
import { UsageError } from '../../errors.js';
import { DecisionRefused, gateKey, readGate, recordDecision, type GateDeps } from '../../pipeline/approvals/gate.js';
import { CorruptRecordError } from '../../pipeline/errors.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import { systemClock } from '../../ports/clock.js';
import { parseJsonRecord, readCancelRequest, requireRun, sameIdentity } from '../../pipeline/workflow/records.js';
import { printable, type CliIo } from '../io.js';

export interface ApproveCommandOptions {
  runId: string;
  /** The environment (or the overlay name) whose gate to answer. */
  env: string;
  decision: 'approve' | 'reject';
  /** Required to reject. */
  reason?: string;
  /** Your identity; default `git config user.email`, else `$USER@localhost`. */
  as?: string;
  /** The local store; default `<project>/.stageline/store`. */
  stateDir?: string;
  project: string;
}

/**
 * `stageline approve|reject <run> <env>`: answers a gate as a named approver, for operators with
 * access to the store. The same rules as a link apply (listed approvers only, one decision each,
 * no approving your own build, a reason to reject); the decision is recorded `via: 'cli'`.
 *
 * `overrides` lets tests (and the lead's runtime) inject the store, callbacks, clock and identity.
 */
export async function approveCommand(options: ApproveCommandOptions, io: CliIo, overrides: Partial<GateDeps> & { identity?: string } = {}): Promise<void> {
  const paths = localProjectPaths(io.cwd, options);
  const store = overrides.store ?? new DirectoryArtifactStore(paths.storeDir);
  const deps: GateDeps = { store, callbacks: overrides.callbacks ?? new FileTaskCallbacks(store), clock: overrides.clock ?? systemClock };
  const run = await requireRun(store, options.runId);
  const task = run.tasks.find((candidate) => candidate.env === options.env) ?? run.tasks.find((candidate) => candidate.overlay === options.env);
  if (!task) {
    throw new UsageError(`run ${options.runId} has no environment ${options.env}`, { hint: `its environments: ${run.tasks.map((item) => item.env).join(', ') || '(none yet)'}` });
  }
  if (!task.gated) throw new UsageError(`${task.env} has no approval gate in run ${options.runId}`);
  if (!task.approvalId || !(await readableGate(store, task.approvalId))) {
    throw new DecisionRefused(`the gate of ${task.env} is not open yet (the environment is ${task.status.toLowerCase()})`, `see \`stageline status ${options.runId}\``);
  }
  const cancel = await readCancelRequest(store, options.runId);
  if (cancel) {
    throw new DecisionRefused(`run ${options.runId} was ${cancel.reason === 'superseded' ? `superseded by ${cancel.supersededBy ?? 'a newer run'}` : `cancelled by ${cancel.by}`}; there is nothing to approve`);
  }
  const approver = (options.as ?? overrides.identity ?? operatorIdentity(paths.root)).trim();
  const reason = options.reason?.trim();
  // Separation of duties, with the one identity comparison the page uses too (a triggeredBy with
  // stray blanks or capitals is still the same person).
  const gate = (await readGate(store, task.approvalId))!.gate;
  if (options.decision === 'approve' && sameIdentity(approver, gate.triggeredBy)) {
    throw new DecisionRefused(`${approver} triggered this build and may not approve it (separation of duties)`, 'ask another approver');
  }
  const result = await recordDecision(deps, { approvalId: task.approvalId, approver, decision: options.decision, ...(reason ? { reason } : {}), via: 'cli' });
  const what = `${run.build.service} → ${task.env} (run ${options.runId})`;
  // Record texts and the reason go to a terminal: control characters escaped.
  const say = (line: string) => io.out(printable(line));
  switch (result.outcome) {
    case 'approved':
      say(`approved: ${what} by ${approver.toLowerCase()}; the deployment continues`);
      return;
    case 'rejected':
      say(
        options.decision === 'reject'
          ? `rejected: ${what} by ${approver.toLowerCase()}: ${reason}; later environments will be cancelled`
          : `recorded, but ${what} was rejected by another approver`,
      );
      return;
    case 'recorded':
      say(`recorded: ${approver.toLowerCase()} approved ${what}: ${result.approvals} of ${result.needed} approvals; waiting for the others`);
  }
}

/**
 * Whether the gate exists, having checked that it and its decisions are records the gate logic
 * can read: a gate file cut off by a crash is one CorruptRecordError naming it, not a crash.
 */
async function readableGate(store: ArtifactStore, approvalId: string): Promise<boolean> {
  const key = gateKey(approvalId);
  const object = await store.get(key);
  if (!object) return false;
  const gate = parseJsonRecord(key, object.body) as Record<string, unknown> | null;
  const fields = ['approvalId', 'runId', 'env', 'status', 'triggeredBy', 'expiresAt', 'taskToken'];
  const missing = typeof gate === 'object' && gate !== null && !Array.isArray(gate) ? fields.find((field) => typeof gate[field] !== 'string') : 'the record';
  if (missing !== undefined) throw new CorruptRecordError(key, `not an approval gate (${missing} is missing or not text)`);
  if (!Array.isArray(gate!.approvers) || typeof gate!.minApprovals !== 'number') throw new CorruptRecordError(key, 'not an approval gate (approvers / minApprovals)');
  for (const decisionKey of await store.list(`approvals/${approvalId}/decisions/`)) {
    const body = (await store.get(decisionKey))?.body;
    if (body === undefined) continue;
    const decision = parseJsonRecord(decisionKey, body) as Record<string, unknown> | null;
    if (typeof decision !== 'object' || decision === null || typeof decision.approver !== 'string' || (decision.decision !== 'approve' && decision.decision !== 'reject') || typeof decision.at !== 'string') {
      throw new CorruptRecordError(decisionKey, 'not an approval decision (approver, decision, at)');
    }
  }
  return true;
}
