import { StagelineError } from '../../errors.js';
import { isJsonObject, type JsonObject } from '../../kustomize/json.js';
import { emitYaml } from '../../kustomize/yaml/emit.js';
import { parseYamlDocument } from '../../kustomize/yaml/parse.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { ProvisionJob, ProvisionResult, Provisioner } from '../../ports/provisioner.js';
import type { ReferenceScope, SecretSource } from '../../ports/secret-source.js';
import type { ProcessLiveness, ProcessOwner, StackJobRequest } from '../../ports/stack-job-launcher.js';
import { WorkflowErrors, type CallbackOutcome, type TaskCallbacks } from '../../ports/task-callbacks.js';
import type { VariableSource } from '../../ports/variable-source.js';
import { ManifestError } from '../errors.js';
import { validateManifest } from '../manifest.js';
import { findReferences, summarizeReferences } from '../references.js';
import { resolveReferences } from '../resolve-references.js';
import { loadRunManifest, manifestKey } from '../run-manifests.js';
import { jobLogKey, storeJobLog } from './job-log.js';
import { checkLaterEnvironments } from './preflight.js';
import { FINAL_TASK_STATUSES, readCancelRequest, serialize, updateTask, type TaskStatus } from '../workflow/records.js';
import {
  acquireEnvironmentLease,
  DEFAULT_LEASE_HEARTBEAT_MS,
  DEFAULT_LEASE_POLL_MS,
  fenceEnvironmentLease,
  LeaseLostError,
  releaseEnvironmentLease,
  renewEnvironmentLease,
  type EnvironmentLease,
} from './environment-lease.js';
import { deployedKey, outputsKey } from './keys.js';
import { createRedactor, formsInDocument, type Redactor } from './redactor.js';

/** How often the runner tells the workflow it is alive while provisioning, when not told otherwise. */
export const DEFAULT_HEARTBEAT_MS = 60_000;

/** The longest failure line / summary the runner records (the run record and the execution history show one line). */
const MAX_LINE = 500;

export interface StackJobDeps {
  store: ArtifactStore;
  secrets: SecretSource;
  variables: VariableSource;
  callbacks: TaskCallbacks;
  /**
   * The provisioner for a manifest kind (the organization's command, else the built-in `record`),
   * asked for once this job holds the environment's lease and before any reference is resolved:
   * an adapter loads the organization and assumes the environment's role here — never earlier, as
   * the wait for the lease can be long and a role-chained session lasts one hour at most. `log` is
   * the job's (redacting) log. May throw: the job fails, nothing applied.
   */
  provisionerFor: (kind: string, log: (line: string) => void) => JobProvisioner | Promise<JobProvisioner>;
  clock: Clock;
  /** Where the runner's log lines go (already redacted). */
  log: (line: string) => void;
  /** Heartbeat period while provisioning. Default {@link DEFAULT_HEARTBEAT_MS} (60 s). */
  heartbeatMs?: number;
  /** How often a job waiting for the environment's lease (another run is applying it) looks again. Default 1 s. */
  leasePollMs?: number;
  /**
   * How often, while provisioning, the job renews its lease and looks for a cancellation of its run
   * (`runs/<runId>/cancel`). Default {@link DEFAULT_LEASE_HEARTBEAT_MS} (5 s).
   */
  leaseHeartbeatMs?: number;
  /** This machine's processes (local runner): a lease whose holder's processes are all gone is free at once. */
  liveness?: ProcessLiveness;
  /** Who runs this job, recorded in the lease. Default `liveness.self()`. */
  owner?: ProcessOwner;
  /**
   * Aborted when the runner itself is told to stop (SIGTERM, SIGINT, SIGHUP): the provisioner's
   * processes are stopped, the job is recorded FAILED and reported, the lease released.
   */
  signal?: AbortSignal;
}

/**
 * A provisioner for one job. `close`, when present, releases what it holds for the job (the
 * environment role's credentials endpoint): called once provisioning is over, however it ended,
 * before the job is reported.
 */
export interface JobProvisioner extends Provisioner {
  close?(): Promise<void>;
}

export type StackJobOutcome = 'succeeded' | 'failed';

/** What a stack job ended with: the summary (success) or the failure line, as recorded and reported (redacted). */
export interface StackJobReport {
  outcome: StackJobOutcome;
  /** One line: the provisioner's summary, or why the job failed. */
  detail: string;
}

/**
 * Runs one stack job (DESIGN §5) and reports it to the waiting workflow step:
 *
 * 1. sends one heartbeat before anything else (the step's heartbeat timeout has been running
 *    since the step started, through CodeBuild's queueing and install phase): if the step is
 *    already closed (the build queued past its timeout), it stops there — nothing downloaded,
 *    applied, recorded or reported (the workflow has settled the task);
 * 2. loads the run's manifest and refuses it unless its sha256 is the task's digest, and checks it
 *    is the resource the task names (kind, name, environment);
 * 3. takes the environment's lease (`locks/<org>/<env>/<service>.json`, see
 *    {@link acquireEnvironmentLease}): while another run's job applies this service to the
 *    environment it waits, heartbeating every `heartbeatMs`; a step that closes meanwhile stops the
 *    job as in 1. The lease is released once the job has reported (success or failure), if it is
 *    still this job's;
 * 4. asks for the provisioner (the adapter may assume the environment's role now), then resolves
 *    every `$secrets-group` / `$variables-group` reference in memory, all of them before any
 *    change (one without a value fails the job, nothing applied);
 * 5. runs the provisioner for the kind, sending heartbeats meanwhile, and closes it;
 * 6. on success records `deployed/…` (the stored, unresolved manifest) and `outputs/…`, marks the
 *    task SUCCEEDED and calls `succeed`; on any failure marks it FAILED and calls `fail` with
 *    `Stageline.StackJobFailed` and one line.
 *
 * Plaintext secrets exist only in this function's memory and in what the provisioner hands its
 * command. Every text the runner emits — log lines, relayed command output, the failure line, the
 * summary and the outputs it stores — goes through a redactor that replaces each resolved secret
 * value with `***`. Never throws for a job failure; only an undeliverable report is thrown.
 */
export async function runStackJob(deps: StackJobDeps, request: StackJobRequest): Promise<StackJobOutcome> {
  return (await executeStackJob(deps, request)).outcome;
}

/** {@link runStackJob}, also returning the line it recorded (the CLI prints it). */
export async function executeStackJob(deps: StackJobDeps, request: StackJobRequest): Promise<StackJobReport> {
  const redact = createRedactor();
  // Every line also goes to the job's log in the store (`stageline logs`, `status`), redacted alike.
  const jobLog = storeJobLog(deps.store, jobLogKey(request.runId, request.taskIndex, request.overlay));
  const log = (line: string) => {
    const safe = redact(line);
    jobLog.append(safe);
    deps.log(safe);
  };
  log(`stack job: ${request.service} → ${request.env} (${request.kind} ${request.name}), run ${request.runId} task ${request.taskIndex}`);

  const held: { lease?: EnvironmentLease; flushLog?: () => Promise<void> } = { flushLog: () => jobLog.flush() };
  try {
    return await finishStackJob(deps, request, redact, log, held);
  } finally {
    if (held.lease) await releaseEnvironmentLease(deps.store, held.lease, request.env, log);
    await jobLog.close();
  }
}

/** Provisions and reports; `held.lease` is set once the environment's lease is this job's. */
async function finishStackJob(
  deps: StackJobDeps,
  request: StackJobRequest,
  redact: Redactor,
  log: (line: string) => void,
  held: { lease?: EnvironmentLease; flushLog?: () => Promise<void> },
): Promise<StackJobReport> {
  let summary: string;
  try {
    summary = await provisionJob(deps, request, redact, log, held);
  } catch (error) {
    if (error instanceof StepClosedBeforeStart) {
      // Nothing was applied and the step is over: its task is final already (or the workflow makes
      // it so), and nobody waits for a report.
      log(`stack job stopped: ${error.message}`);
      return { outcome: 'failed', detail: error.message };
    }
    const line = failureLine(error, redact);
    log(`stack job failed: ${line}`);
    const stopped = error instanceof JobStopped ? error : undefined;
    // A job fenced out (its lease was taken over) records nothing on the task either: the newer
    // holder, or the workflow, decides it.
    // The log is in the store before the task is final: `status` shows its last lines at once.
    await held.flushLog?.();
    if (!(error instanceof LeaseLostError)) await recordTask(deps, request, stopped?.taskStatus ?? 'FAILED', line, log);
    await report(log, redact, 'failure', () => deps.callbacks.fail(request.taskToken, stopped?.workflowError ?? WorkflowErrors.StackJobFailed, line));
    return { outcome: 'failed', detail: line };
  }
  log(`stack job succeeded: ${summary}`);
  await held.flushLog?.();
  await recordTask(deps, request, 'SUCCEEDED', summary, log);
  await report(log, redact, 'success', () => deps.callbacks.succeed(request.taskToken, { summary }));
  return { outcome: 'succeeded', detail: summary };
}

/** Steps 1–6 up to the store writes; returns the one-line (redacted) summary. Throws on any failure. */
async function provisionJob(deps: StackJobDeps, request: StackJobRequest, redact: Redactor, log: (line: string) => void, held: { lease?: EnvironmentLease }): Promise<string> {
  // The build may have queued past the step's timeout / heartbeat: then nothing may be applied. And
  // the step's heartbeat timeout has been running since the step started: beat before anything slow.
  const beats: HeartbeatClock = { lastAt: Date.now() };
  await checkStepOpen(deps, request, log, beats);

  const expectedKey = manifestKey(request.runId, request.digest);
  if (request.manifestKey !== expectedKey) {
    throw new ManifestError(`the job's manifestKey ${request.manifestKey} is not ${expectedKey} (the key of its digest); refusing to deploy it`);
  }
  const storedManifest = await loadRunManifest(deps.store, request.runId, request.digest);
  const manifest = parseStoredManifest(storedManifest, request);
  log(`manifest ${request.manifestKey}: sha256 verified`);

  // One run at a time applies this service to this environment (another run's job may be at it).
  held.lease = await acquireEnvironmentLease(
    {
      store: deps.store,
      log,
      pollMs: deps.leasePollMs ?? DEFAULT_LEASE_POLL_MS,
      now: () => deps.clock.now(),
      whileWaiting: heartbeatWhileWaiting(deps, request, log, beats),
      ...(deps.liveness ? { liveness: deps.liveness } : {}),
      ...(deps.owner ? { owner: deps.owner } : {}),
    },
    request,
  );
  // The step may have closed between the last heartbeat of the wait and the lease being freed.
  if (held.lease.waited) await checkStepOpen(deps, request, log, beats, WHILE_WAITING);
  refuseIfStopped(deps);
  // The first environment checks every later one's references before anything is changed.
  await checkLaterEnvironments({ secrets: deps.secrets, variables: deps.variables, outputs: deps.store }, request, log);

  // Only now, holding the lease: the adapter may assume the environment's role for the provisioner.
  const provisioner = await deps.provisionerFor(request.kind, log);
  let result: ProvisionResult;
  try {
    result = await resolveAndProvision(deps, request, manifest, storedManifest, provisioner, redact, log, held);
  } finally {
    await closeProvisioner(provisioner, log);
  }

  const outputs = safeOutputs(result.outputs, redact, log);
  const summary = oneLine(redact(String(result.summary ?? ''))) || 'provisioned';
  // The fence: only the holder of the lease records a result. A job taken over while it applied
  // (it was thought dead) must not overwrite what the newer run recorded.
  held.lease = await fenceEnvironmentLease(deps.store, held.lease, request.env, deps.clock.now()).catch((error: unknown) => {
    if (error instanceof LeaseLostError) throw error;
    throw new StagelineError('STORE_WRITE_FAILED', `the environment was applied but the lease ${held.lease!.key} could not be written to record it: ${writeErrorText(error)}`, {
      hint: 'free space in the store (or fix its permissions) and deploy again: the apply is repeated and recorded',
    });
  });
  await recordResult(deps.store, deployedKey(request.org, request.env, request.service), storedManifest);
  await recordResult(deps.store, outputsKey(request.org, request.env, request.kind, request.name), serialize(outputs));
  return summary;
}

/** The runner was told to stop (a signal) before provisioning started: nothing applied. */
function refuseIfStopped(deps: StackJobDeps): void {
  if (deps.signal?.aborted) throw new JobStopped(`the stack job was stopped before anything was applied (${reasonText(deps.signal.reason)})`);
}

/** A result the store could not take (a full disk, a store error): one line naming the key, not a stack trace. */
async function recordResult(store: ArtifactStore, key: string, body: string): Promise<void> {
  try {
    await store.put(key, body);
  } catch (error) {
    throw new StagelineError('STORE_WRITE_FAILED', `the environment was applied but ${key} could not be written: ${writeErrorText(error)}`, {
      hint: 'free space in the store (or fix its permissions) and deploy again: the apply is repeated and recorded',
    });
  }
}

/** `no space left on device (ENOSPC)` rather than a message holding a temp file's path. */
export function writeErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known: Record<string, string> = { ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EROFS: 'read-only file system', EACCES: 'permission denied', EIO: 'input/output error' };
  if (typeof code === 'string' && known[code]) return `${known[code]} (${code})`;
  return messageOf(error).split('\n')[0] ?? 'write failed';
}

/** Why the job's provisioning was stopped: the runner got a signal, its run was cancelled, its step closed, it lost the lease. */
class JobStopped extends Error {
  constructor(
    message: string,
    /** The workflow error to report: Stageline.Cancelled / Superseded for a cancelled run. */
    readonly workflowError: string = WorkflowErrors.StackJobFailed,
    readonly taskStatus: 'FAILED' | 'CANCELLED' | 'SUPERSEDED' = 'FAILED',
  ) {
    super(message);
  }
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' && reason !== '' ? reason : 'stop requested';
}

/** Steps 4–5: every reference resolved in memory, then the provisioner run with heartbeats. */
async function resolveAndProvision(
  deps: StackJobDeps,
  request: StackJobRequest,
  manifest: JsonObject,
  storedManifest: string,
  provisioner: Provisioner,
  redact: Redactor,
  log: (line: string) => void,
  held: { lease?: EnvironmentLease },
): Promise<ProvisionResult> {
  const source = `overlay "${request.overlay}" (${request.manifestKey})`;
  const occurrences = findReferences(manifest, source);
  const references = summarizeReferences(occurrences);
  const count = references.secrets.length + references.variables.length;
  if (count > 0) {
    const names = [...references.secrets.map((name) => `secret ${name}`), ...references.variables.map((name) => `variable ${name}`)];
    log(`resolving ${count} reference${count === 1 ? '' : 's'}: ${names.join(', ')}`);
  }
  const secrets = redactingSecretSource(deps.secrets, redact);
  const resolved = await resolveReferences(manifest, { org: request.org, env: request.env, source }, { secrets, variables: deps.variables, outputs: deps.store });
  // A long secret is folded where the manifest file's columns say: hide those exact lines too.
  for (const occurrence of occurrences) if (occurrence.type === 'secret') redact.addForms(formsInDocument(resolved, occurrence.path));
  const resolvedManifest = emitYaml(resolved);

  const job: ProvisionJob = {
    org: request.org,
    service: request.service,
    env: request.env,
    kind: request.kind,
    name: request.name,
    storedManifest,
    resolvedManifest,
  };
  // The job is one unit: whatever stops it (the runner's signal, its step closing, a cancellation
  // of its run, the lease lost) stops the provisioner's processes, and only then does it settle.
  const stop = new AbortController();
  const stopWith = (reason: JobStopped) => {
    if (!stop.signal.aborted) stop.abort(reason);
  };
  const onRunnerStop = () => stopWith(new JobStopped(`the stack-job runner was stopped (${reasonText(deps.signal?.reason)})`));
  if (deps.signal?.aborted) onRunnerStop();
  deps.signal?.addEventListener('abort', onRunnerStop, { once: true });
  const supervisor = superviseJob(deps, request, log, held, stopWith);
  const stopHeartbeats = startHeartbeats(deps, request.taskToken, log, () =>
    stopWith(new JobStopped('the workflow step closed while the job was applying (it timed out or the run stopped); the apply was stopped')),
  );
  try {
    const result = await provisioner.provision(job, log, { signal: stop.signal, onProcessGroup: supervisor.processGroup });
    // A provisioner that finished anyway (nothing left to stop) still does not count once the job was stopped.
    if (stop.signal.aborted) throw stop.signal.reason;
    return result;
  } catch (error) {
    throw stop.signal.aborted ? stop.signal.reason : error;
  } finally {
    deps.signal?.removeEventListener('abort', onRunnerStop);
    await supervisor.stop();
    await stopHeartbeats();
  }
}

/**
 * While the provisioner runs, every `leaseHeartbeatMs`: the lease is renewed (compare-and-swap;
 * it also records the process group running now), and the run's cancel marker is looked at. A
 * lost lease or a cancelled / superseded run stops the job.
 */
function superviseJob(
  deps: StackJobDeps,
  request: StackJobRequest,
  log: (line: string) => void,
  held: { lease?: EnvironmentLease },
  stopWith: (reason: JobStopped) => void,
): { processGroup: (pgid: number | undefined) => void; stop: () => Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  const enqueue = (work: () => Promise<void>) => {
    chain = chain.then(work).catch((error: unknown) => log(`lease not renewed: ${messageOf(error)}`));
  };
  const renew = (changes: { processGroup?: number | undefined } = {}) =>
    enqueue(async () => {
      if (!held.lease || stopped) return;
      try {
        held.lease = await renewEnvironmentLease(deps.store, held.lease, request.env, deps.clock.now(), changes);
      } catch (error) {
        if (error instanceof LeaseLostError) {
          log(error.message);
          stopWith(new JobStopped(error.message));
          return;
        }
        throw error;
      }
    });
  const lookForCancel = () =>
    enqueue(async () => {
      const cancel = await readCancelRequest(deps.store, request.runId);
      if (!cancel) return;
      if (cancel.reason === 'superseded') {
        stopWith(new JobStopped(`superseded by run ${cancel.supersededBy ?? '(newer run)'}; the apply was stopped`, WorkflowErrors.Superseded, 'SUPERSEDED'));
      } else {
        stopWith(new JobStopped(`cancelled by ${cancel.by}; the apply was stopped`, WorkflowErrors.Cancelled, 'CANCELLED'));
      }
    });
  const timer = setInterval(() => {
    renew();
    lookForCancel();
  }, deps.leaseHeartbeatMs ?? DEFAULT_LEASE_HEARTBEAT_MS);
  lookForCancel();
  return {
    processGroup: (pgid) => renew({ processGroup: pgid }),
    stop: async () => {
      clearInterval(timer);
      await chain;
      stopped = true;
    },
  };
}

/** Releases what the provisioner holds for the job; a failure to do so is logged, the job's outcome stands. */
async function closeProvisioner(provisioner: JobProvisioner, log: (line: string) => void): Promise<void> {
  if (!provisioner.close) return;
  try {
    await provisioner.close();
  } catch (error) {
    log(`provisioner not closed cleanly: ${messageOf(error)}`);
  }
}

/** The step this job answers closed before the job started (the job stops; nothing applied, nothing recorded, nothing reported). */
class StepClosedBeforeStart extends Error {
  constructor(when = 'before the job started') {
    super(`the workflow step closed ${when}; nothing applied`);
  }
}

const WHILE_WAITING = 'while the job waited for the lease on the environment';

/** When the job last sent a heartbeat before provisioning (wall-clock ms: the heartbeat period is real time, like the step's timeout). */
interface HeartbeatClock {
  lastAt: number;
}

/**
 * One heartbeat before anything is resolved or applied: `closed` stops the job. A heartbeat that
 * cannot be delivered (a transient error) is logged and the job goes on — the step's own report
 * at the end tells whether it was still open.
 */
async function checkStepOpen(deps: StackJobDeps, request: StackJobRequest, log: (line: string) => void, beats: HeartbeatClock, when?: string): Promise<void> {
  beats.lastAt = Date.now();
  let outcome: CallbackOutcome;
  try {
    outcome = await deps.callbacks.heartbeat(request.taskToken);
  } catch (error) {
    log(`heartbeat not delivered: ${messageOf(error)}`);
    return;
  }
  if (outcome === 'closed') throw new StepClosedBeforeStart(when);
}

/**
 * While the job waits for the environment's lease: a heartbeat every `heartbeatMs` since the last
 * one (the step's heartbeat timeout applies while waiting too); a `closed` answer stops the job,
 * nothing applied.
 */
function heartbeatWhileWaiting(deps: StackJobDeps, request: StackJobRequest, log: (line: string) => void, beats: HeartbeatClock): () => Promise<void> {
  const period = deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  return async () => {
    refuseIfStopped(deps);
    if (Date.now() - beats.lastAt < period) return;
    await checkStepOpen(deps, request, log, beats, WHILE_WAITING);
  };
}

/** The stored manifest as data, checked to be the resource the task names. */
function parseStoredManifest(text: string, request: StackJobRequest): JsonObject {
  const source = request.manifestKey;
  const value = parseYamlDocument(text, source, { duplicateKeys: 'error' });
  const identity = validateManifest(value ?? null, source);
  const mismatches = (
    [
      ['kind', identity.kind, request.kind],
      ['metadata.name', identity.name, request.name],
      ['metadata.env', identity.env, request.env],
    ] as const
  ).filter(([, actual, expected]) => actual !== expected);
  if (mismatches.length > 0) {
    const [field, actual, expected] = mismatches[0]!;
    throw new ManifestError(`${source}: ${field} is "${actual}" but the task deploys "${expected}"; refusing to deploy it`);
  }
  if (!isJsonObject(value)) throw new ManifestError(`${source}: expected a manifest (a map)`);
  return value;
}

/** Every secret value the resolution reads is added to the redactor before anything can print it. */
function redactingSecretSource(secrets: SecretSource, redact: Redactor): SecretSource {
  return {
    async getSecret(scope: ReferenceScope, group: string, key: string) {
      const value = await secrets.getSecret(scope, group, key);
      if (value !== undefined) redact.add([value]);
      return value;
    },
  };
}

/**
 * Outputs are text by contract, and other runs read them (variable references): an output whose
 * key or value holds a secret — as is, or in any form the redactor knows (base64, URL-encoded,
 * JSON- or HTML-escaped, a piece of a wrapped value) — is not stored at all (a `***` would pass
 * for a real value downstream); one line, naming the key (redacted) but never the value, says so.
 * `log` defaults to stderr, which the runner's host relays (locally, `deploy --local` prints it).
 */
function safeOutputs(outputs: Record<string, string> | undefined, redact: Redactor, log: (line: string) => void = (line) => console.warn(line)): Record<string, string> {
  const safe: Record<string, string> = {};
  for (const [key, value] of Object.entries(outputs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const text = String(value);
    if (redact(key) !== key || redact(text) !== text) {
      log(`output ${redact(key)} dropped: its value holds a secret (as is or encoded); it is not stored in outputs/`);
      continue;
    }
    safe[key] = text;
  }
  return safe;
}

/**
 * Heartbeats every `heartbeatMs` until stopped. A `closed` answer (the step timed out or the run
 * stopped) is logged once and ends the heartbeats; the provisioning already under way finishes.
 */
function startHeartbeats(deps: StackJobDeps, token: string, log: (line: string) => void, onClosed: () => void): () => Promise<void> {
  const period = deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let closed = false;
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    if (closed) return;
    inFlight = deps.callbacks.heartbeat(token).then(
      (outcome) => {
        if (outcome === 'closed' && !closed) {
          closed = true;
          log('heartbeat: the workflow step is closed (it timed out or the run stopped); stopping the apply');
          onClosed();
        }
      },
      (error: unknown) => log(`heartbeat not delivered: ${messageOf(error)}`),
    );
  }, period);
  return async () => {
    clearInterval(timer);
    await inFlight;
  };
}

/** Task statuses already decided by someone else (the workflow after a timeout, a cancellation) are left alone. */
class TaskAlreadyFinal extends Error {
  constructor(readonly status: TaskStatus) {
    super(status);
  }
}

async function recordTask(deps: StackJobDeps, request: StackJobRequest, status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'SUPERSEDED', detail: string, log: (line: string) => void): Promise<void> {
  const now = deps.clock.now();
  try {
    await updateTask(
      deps.store,
      request.runId,
      request.taskIndex,
      (task) => {
        if (task.overlay !== request.overlay) {
          throw new StagelineError('TASK_MISMATCH', `run ${request.runId} task ${request.taskIndex} is overlay "${task.overlay}", not "${request.overlay}"`);
        }
        if (FINAL_TASK_STATUSES.includes(task.status)) throw new TaskAlreadyFinal(task.status);
        task.status = status;
        task.finishedAt = now.toISOString();
        task.detail = detail;
      },
      now,
    );
  } catch (error) {
    if (error instanceof TaskAlreadyFinal) {
      log(`run record: task ${request.taskIndex} (${request.env}) is already ${error.status}; left as is`);
      return;
    }
    // The workflow's own record of the step (through the callback below) still goes out.
    log(`run record not updated: ${writeErrorText(error)}`);
  }
}

const REPORT_DELAYS_MS = [500, 2_000];

/** Sends the result to the waiting step, retrying transient errors twice; `closed` is logged, not an error. */
async function report(log: (line: string) => void, redact: Redactor, what: string, send: () => Promise<CallbackOutcome>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const outcome = await send();
      if (outcome === 'closed') log(`the workflow step was already closed (it timed out or the run stopped); the ${what} was not reported`);
      else log(`reported ${what} to the workflow`);
      return;
    } catch (error) {
      const delay = REPORT_DELAYS_MS[attempt];
      if (delay === undefined) {
        log(`could not report the ${what} to the workflow: ${messageOf(error)}`);
        throw new StagelineError('STACK_JOB_REPORT_FAILED', `could not report the stack job's ${what} to the workflow: ${oneLine(redact(messageOf(error)))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function failureLine(error: unknown, redact: Redactor): string {
  return oneLine(redact(messageOf(error))) || 'the stack job failed without a message';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function oneLine(text: string): string {
  const line = text.split(/\r?\n/).map((part) => part.trim()).filter(Boolean).join(' ');
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 3)}...` : line;
}
