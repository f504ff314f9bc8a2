import { buildKustomization } from '../../kustomize/build.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { ExecutionStarter } from '../../ports/execution-starter.js';
import type { Notifier } from '../../ports/notifier.js';
import type { StackJobLauncher } from '../../ports/stack-job-launcher.js';
import { WorkflowErrors } from '../../ports/task-callbacks.js';
import { approvalIdFor, closeGate, openGate, readGate, type GateRecord } from '../approvals/gate.js';
import { parseDuration } from '../duration.js';
import { createDeploymentTasks, taskIdentity, type TaskIdentity } from '../deployment-tasks.js';
import { resolveManifests, type ManifestSummary, type SkippedOverlay } from '../resolve-manifests.js';
import { manifestKey, storeRunManifests } from '../run-manifests.js';
import { DEFAULT_STACK_JOB_TIMEOUT } from '../config/organization.js';
import { FINAL_TASK_STATUSES, readCancelRequest, requireRun, updateRun, updateTask, type BuildEvent, type CancelRequest, type RunRecord, type RunStatus, type TaskStatus } from './records.js';
import { laneOf, startNextQueued } from './queue.js';
import { loadBuildSource, loadOrganization, loadService, SOURCE_ROOT } from './source-tree.js';
import { GATE_UNSATISFIABLE, WorkflowStepError } from './step-error.js';
import { manifestsOfOrigin, originWarning, withInlineTargets } from './redeploy.js';
import { resolutionMode } from '../config/service.js';

/** One environment as it travels through the state machine's Map: keys, digests, timeouts. */
export interface WorkflowTask extends TaskIdentity {
  manifestKey: string;
  gated: boolean;
  /** TimeoutSecondsPath of the approval wait (gated tasks only). */
  approvalTimeoutSeconds?: number;
  /** TimeoutSecondsPath of the stack-job wait. */
  stackJobTimeoutSeconds: number;
  awsRoleArn?: string;
}

export interface ExecutionInput {
  runId: string;
  build: BuildEvent;
}

export interface StepDeps {
  store: ArtifactStore;
  clock: Clock;
  /**
   * Starts the next queued run of the same service and branch when a run ends (`concurrency:
   * queue`). Optional: without it the final steps start nothing (a deployment that never queues).
   */
  starter?: ExecutionStarter;
  /**
   * Stops the stack job of an environment that was applying when the run stopped (its step timed
   * out, the run was cancelled or superseded): StopBuild in AWS. Optional: without it the job is
   * left to notice by itself (its heartbeat is refused, it looks for the cancel marker).
   */
  jobStopper?: Pick<StackJobLauncher, 'stop'>;
}

// --- Resolve manifests ----------------------------------------------------------------------------

/** Builds every overlay (or renders inline targets) of the uploaded source, stores each manifest under its digest. */
export async function resolveManifestsStep(deps: StepDeps, input: ExecutionInput): Promise<{ manifests: ManifestSummary[]; skipped: SkippedOverlay[] }> {
  const { build } = input;
  const organization = await loadOrganization(deps.store);
  const fs = await loadBuildSource(deps.store, build.service, build.commitSha);
  const service = loadService(fs);
  // A retry or rollback deploys the stored manifests of the run it repeats, byte for byte.
  const origin = build.origin?.kind === 'retry' || build.origin?.kind === 'rollback' ? build.origin : undefined;
  const resolved = origin
    ? { manifests: resolutionMode(service) === 'inline' ? withInlineTargets(await manifestsOfOrigin(deps.store, origin), service) : await manifestsOfOrigin(deps.store, origin), skipped: [] }
    : resolveManifests({
        organization,
        service,
        build: { commitSha: build.commitSha, branch: build.branch, tag: build.tag, image: build.image },
        fs,
        projectDir: SOURCE_ROOT,
        renderOverlay: (dir) => buildKustomization(fs, dir).resources,
      });
  await storeRunManifests(deps.store, input.runId, resolved.manifests);
  const manifests = resolved.manifests.map(({ manifest: _manifest, yaml: _yaml, ...summary }) => summary);
  return { manifests, skipped: resolved.skipped };
}

// --- Create deployment tasks ----------------------------------------------------------------------

export interface CreateTasksInput extends ExecutionInput {
  manifests: ManifestSummary[];
  skipped: SkippedOverlay[];
}

/** Orders the environments by promotion policy, marks gates, writes the tasks into run.json. */
export async function createDeploymentTasksStep(deps: StepDeps, input: CreateTasksInput): Promise<{ tasks: WorkflowTask[] }> {
  const organization = await loadOrganization(deps.store);
  const fs = await loadBuildSource(deps.store, input.build.service, input.build.commitSha);
  const service = loadService(fs);
  const mode = input.manifests.some((manifest) => manifest.target) ? 'inline' : 'git';
  const plan = createDeploymentTasks({ organization, service, resolved: { mode, manifests: input.manifests, skipped: input.skipped, partial: input.build.origin?.kind === 'retry' || input.build.origin?.kind === 'rollback' }, branch: input.build.branch });
  const stackJobTimeoutSeconds = parseDuration(organization.spec.stackJobs.timeout ?? DEFAULT_STACK_JOB_TIMEOUT)!;
  const tasks = plan.tasks.map((task): WorkflowTask => {
    const workflowTask: WorkflowTask = {
      ...taskIdentity(task),
      manifestKey: manifestKey(input.runId, task.digest),
      gated: task.gate !== null,
      stackJobTimeoutSeconds,
    };
    if (task.gate) workflowTask.approvalTimeoutSeconds = task.gate.timeoutSeconds;
    if (task.awsRoleArn) workflowTask.awsRoleArn = task.awsRoleArn;
    return workflowTask;
  });
  await updateRun(deps.store, input.runId, (run) => {
    run.tasks = plan.tasks.map((task) => ({
      ...taskIdentity(task),
      gated: task.gate !== null,
      status: 'PENDING',
      references: task.references,
      ...(task.gate ? { approvers: task.gate.approvers, minApprovals: task.gate.minApprovals } : {}),
    }));
    run.skipped = plan.skipped;
    // Kept: start-pipeline's warnings (e.g. a triggeredBy the authenticated caller replaced).
    const fromOrigin = input.build.origin ? originWarning(input.build.origin) : undefined;
    run.warnings = [...new Set([...run.warnings, ...(fromOrigin ? [fromOrigin] : []), ...plan.warnings])];
  }, deps.clock.now());
  return { tasks };
}

// --- Wait for approval ----------------------------------------------------------------------------

export interface WaitingStepInput {
  runId: string;
  task: WorkflowTask;
  taskToken: string;
}

export interface ApprovalStepDeps extends StepDeps {
  notifier: Notifier;
  /** Personal signed links for a gate (AWS: the approval URL; locally: the local approval page). */
  approvalLinks: (gate: GateRecord) => { approver: string; url: string }[];
  /**
   * The operator answers every gate outright (`deploy --local --approve|--reject`, the terminal
   * prompt: decideAsOperator), so a gate whose approvers could never reach its quorum can still be
   * answered and is opened. Otherwise (AWS, and local gates left to the approvers) such a gate
   * fails at once with Stageline.GateUnsatisfiable.
   */
  operatorDecides?: boolean;
}

/**
 * Opens the gate (the token stays in the store) and tells the approvers. A gate that can never be
 * approved fails at once; a cancel or supersede that lands while the gate opens closes it at once.
 */
export async function requestApprovalStep(deps: ApprovalStepDeps, input: WaitingStepInput): Promise<{ approvalId: string }> {
  await refuseIfStopped(deps, input.runId);
  const run = await requireRun(deps.store, input.runId);
  const task = run.tasks[input.task.index]!;
  const now = deps.clock.now();
  if (!deps.operatorDecides) await failIfUnsatisfiable(deps, run, input.task);
  const gate: GateRecord = {
    approvalId: approvalIdFor(input.runId, input.task.index),
    runId: input.runId,
    taskIndex: input.task.index,
    overlay: input.task.overlay,
    env: input.task.env,
    org: run.build.org,
    service: run.build.service,
    commitSha: run.build.commitSha,
    image: run.build.image,
    triggeredBy: run.build.triggeredBy,
    digest: input.task.digest,
    approvers: task.approvers ?? [],
    minApprovals: task.minApprovals ?? 1,
    taskToken: input.taskToken,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + (input.task.approvalTimeoutSeconds ?? 0) * 1000).toISOString(),
    status: 'WAITING',
  };
  await openGate(deps.store, gate);
  await updateTask(deps.store, input.runId, input.task.index, (record) => {
    record.status = 'WAITING_APPROVAL';
    record.approvalId = gate.approvalId;
    record.startedAt ??= now.toISOString();
    record.detail = `waiting for ${gate.minApprovals} of ${gate.approvers.join(', ')} until ${gate.expiresAt}`;
  }, now);
  // A cancel that wrote its marker after the check above may have read the run before this task
  // was WAITING_APPROVAL, and so not closed this gate: look again now that it is recorded.
  const stopped = await readCancelRequest(deps.store, input.runId);
  if (stopped) {
    const error = stopError(stopped);
    await closeGate(deps, gate, stopped.reason === 'superseded' ? 'SUPERSEDED' : 'CANCELLED', error.message);
    throw error; // Fails this step: no callback is needed.
  }
  await deps.notifier.approvalRequested({
    service: gate.service,
    env: gate.env,
    runId: gate.runId,
    commitSha: gate.commitSha,
    image: gate.image,
    triggeredBy: gate.triggeredBy,
    links: deps.approvalLinks(gate),
    expiresAt: gate.expiresAt,
  });
  return { approvalId: gate.approvalId };
}

// --- Run stack job ----------------------------------------------------------------------------------

export interface LaunchStepDeps extends StepDeps {
  launcher: StackJobLauncher;
}

/** Records the stack job and starts the runner; the runner reports back with the token. */
export async function launchStackJobStep(deps: LaunchStepDeps, input: WaitingStepInput): Promise<{ jobId: string }> {
  await refuseIfStopped(deps, input.runId);
  const run = await requireRun(deps.store, input.runId);
  const now = deps.clock.now();
  await updateTask(deps.store, input.runId, input.task.index, (record) => {
    record.status = 'APPLYING';
    record.startedAt ??= now.toISOString();
  }, now);
  const { jobId } = await deps.launcher.launch({
    runId: input.runId,
    org: run.build.org,
    service: run.build.service,
    taskIndex: input.task.index,
    overlay: input.task.overlay,
    env: input.task.env,
    kind: input.task.kind,
    name: input.task.name,
    manifestKey: input.task.manifestKey,
    digest: input.task.digest,
    taskToken: input.taskToken,
    ...(input.task.awsRoleArn ? { awsRoleArn: input.task.awsRoleArn } : {}),
  });
  await updateTask(deps.store, input.runId, input.task.index, (record) => {
    record.stackJobId = jobId;
  }, deps.clock.now());
  return { jobId };
}

/** A cancelled or superseded run starts nothing new: the environment being applied finishes, the next one stops here. */
async function refuseIfStopped(deps: StepDeps, runId: string): Promise<void> {
  const request = await readCancelRequest(deps.store, runId);
  if (request) throw stopError(request);
}

function stopError(request: CancelRequest): WorkflowStepError {
  if (request.reason === 'superseded') {
    return new WorkflowStepError(WorkflowErrors.Superseded, `superseded by run ${request.supersededBy ?? '(newer run)'}`);
  }
  return new WorkflowStepError(WorkflowErrors.Cancelled, `cancelled by ${request.by}`);
}

/**
 * Separation of duties: the person who triggered the build may not approve it. A gate whose other
 * approvers are fewer than its quorum could only time out: the environment fails at once instead.
 */
async function failIfUnsatisfiable(deps: StepDeps, run: RunRecord, task: WorkflowTask): Promise<void> {
  const record = run.tasks[task.index]!;
  const approvers = record.approvers ?? [];
  const needed = record.minApprovals ?? 1;
  const trigger = run.build.triggeredBy;
  const eligible = approvers.filter((approver) => approver.trim().toLowerCase() !== trigger.trim().toLowerCase());
  if (eligible.length >= needed) return;
  const approvals = `${needed} approval${needed === 1 ? '' : 's'}`;
  const why =
    approvers.length === 0
      ? `it needs ${approvals} and lists no approvers`
      : eligible.length < approvers.length
        ? `it needs ${approvals} from ${approvers.join(', ')}, and ${trigger} triggered the build and may not approve it (separation of duties), which leaves ${eligible.length}`
        : `it needs ${approvals} and lists only ${approvers.length} approver${approvers.length === 1 ? '' : 's'}: ${approvers.join(', ')}`;
  const message = `gate ${task.env} can never be approved: ${why}`;
  const now = deps.clock.now();
  await updateTask(deps.store, run.runId, task.index, (failed) => {
    failed.status = 'FAILED';
    failed.startedAt ??= now.toISOString();
    failed.finishedAt = now.toISOString();
    failed.detail = message;
  }, now);
  throw new WorkflowStepError(GATE_UNSATISFIABLE, message);
}

// --- Cancel remaining environments / record success -----------------------------------------------

export interface StepFailure {
  Error?: string;
  Cause?: string;
}

/**
 * The Catch path: the environment that was in flight gets the status its error means, every
 * environment after it is CANCELLED (never provisioned), and the run is FAILED (or SUPERSEDED /
 * CANCELLED).
 */
export async function cancelRemainingStep(deps: StepDeps, input: { runId: string; failure?: StepFailure }): Promise<{ status: RunStatus }> {
  const error = input.failure?.Error ?? 'States.Runtime';
  const cause = oneLine(causeMessage(input.failure?.Cause ?? error));
  const now = deps.clock.now();
  // A step that refused to start (cancelled, superseded, a gate nobody may approve) stopped the
  // environment after the last one that started; any other error stopped one that had started.
  const refusedBeforeStart = error === WorkflowErrors.Cancelled || error === WorkflowErrors.Superseded || error === GATE_UNSATISFIABLE;
  const applying: string[] = [];
  // A gate that timed out says until when it waited (its record has the deadline).
  const deadline = error === WorkflowErrors.Timeout ? await waitingGateDeadline(deps.store, input.runId) : undefined;
  const run = await updateRun(deps.store, input.runId, (record) => {
    applying.splice(0, applying.length, ...record.tasks.filter((task) => task.status === 'APPLYING' && task.stackJobId).map((task) => task.stackJobId!));
    // The environment that stopped the run: one its runner already marked failed, else the one
    // in flight (waiting or applying), else the next one for a refusal before it started, else
    // (a stack job that timed out as its runner recorded success) the last one that started:
    // never an environment that was not started.
    const failed =
      record.tasks.find((task) => FINAL_TASK_STATUSES.includes(task.status) && task.status !== 'SUCCEEDED') ??
      record.tasks.find((task) => task.status === 'WAITING_APPROVAL' || task.status === 'APPROVED' || task.status === 'APPLYING') ??
      (refusedBeforeStart ? record.tasks.find((task) => task.status === 'PENDING') : [...record.tasks].reverse().find((task) => task.status !== 'PENDING'));
    if (failed && !FINAL_TASK_STATUSES.includes(failed.status)) {
      failed.status = statusForError(error, failed.status);
      failed.finishedAt = now.toISOString();
      failed.detail = failed.status === 'TIMED_OUT' && deadline ? `no decision by ${deadline}` : cause;
    }
    const reason = !failed
      ? `the run stopped (${cause})`
      : failed.status === 'SUCCEEDED'
        ? `the run stopped after ${failed.env} (${cause})`
        : `${failed.env} ${describe(failed.status)}`;
    for (const task of record.tasks) {
      if ((!failed || task.index > failed.index) && !FINAL_TASK_STATUSES.includes(task.status)) {
        task.status = 'CANCELLED';
        task.detail = `not deployed: ${reason}`;
      }
    }
    record.status = error === WorkflowErrors.Superseded ? 'SUPERSEDED' : error === WorkflowErrors.Cancelled ? 'CANCELLED' : 'FAILED';
    record.failure = { ...(failed ? { env: failed.env } : {}), error, cause };
    record.finishedAt = now.toISOString();
  }, now);
  // A job still applying when its step ended (timed out, cancelled, superseded) lives or dies with
  // its step: it is stopped, not left to apply unrecorded.
  await stopJobs(deps.jobStopper, applying, `the run stopped: ${cause}`);
  await startQueuedAfter(deps, run);
  return { status: run.status };
}

/** The deadline of the gate the run waits at, if it waits at one. */
async function waitingGateDeadline(store: ArtifactStore, runId: string): Promise<string | undefined> {
  const waiting = (await requireRun(store, runId)).tasks.find((task) => task.status === 'WAITING_APPROVAL');
  if (!waiting) return undefined;
  return (await readGate(store, approvalIdFor(runId, waiting.index)).catch(() => undefined))?.gate.expiresAt;
}

/** Stops each job; a job that cannot be stopped (already gone, a transient error) does not keep the run from being recorded. */
export async function stopJobs(stopper: Pick<StackJobLauncher, 'stop'> | undefined, jobIds: readonly string[], reason: string): Promise<void> {
  if (!stopper?.stop) return;
  await Promise.all(jobIds.map((jobId) => stopper.stop!(jobId, reason).catch(() => undefined)));
}

function statusForError(error: string, current: TaskStatus): TaskStatus {
  if (error === WorkflowErrors.Rejected) return 'REJECTED';
  if (error === WorkflowErrors.Superseded) return 'SUPERSEDED';
  if (error === WorkflowErrors.Cancelled) return 'CANCELLED';
  if (error === WorkflowErrors.Timeout && current === 'WAITING_APPROVAL') return 'TIMED_OUT';
  return 'FAILED';
}

function describe(status: TaskStatus): string {
  return { FAILED: 'failed', REJECTED: 'was rejected', TIMED_OUT: 'timed out', SUPERSEDED: 'was superseded', CANCELLED: 'was cancelled' }[status as string] ?? status.toLowerCase();
}

export async function recordSuccessStep(deps: StepDeps, input: { runId: string }): Promise<{ status: RunStatus }> {
  const now = deps.clock.now();
  const run = await updateRun(deps.store, input.runId, (record) => {
    record.status = 'SUCCEEDED';
    record.finishedAt = now.toISOString();
  }, now);
  await startQueuedAfter(deps, run);
  return { status: run.status };
}

/** The run has ended: the oldest queued run of its service and branch starts (exactly once, see startNextQueued). */
async function startQueuedAfter(deps: StepDeps, run: RunRecord): Promise<void> {
  if (!deps.starter) return;
  await startNextQueued({ store: deps.store, clock: deps.clock, starter: deps.starter }, laneOf(run));
}

/**
 * The Cause of a failed Lambda step is the function's error as JSON (`errorType`, `errorMessage`,
 * `requestId`, `stackTrace`): only its message is for people. Any other Cause is kept as it is.
 */
function causeMessage(cause: string): string {
  if (!cause.trimStart().startsWith('{')) return cause;
  try {
    const parsed = JSON.parse(cause) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { errorMessage?: unknown }).errorMessage === 'string') {
      return (parsed as { errorMessage: string }).errorMessage;
    }
  } catch {
    // Not JSON: kept as it is.
  }
  return cause;
}

function oneLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

