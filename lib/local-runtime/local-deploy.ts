import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ChildProcessLauncher } from '../adapters/local/child-process-launcher.js';
import { DirectoryArtifactStore } from '../adapters/local/directory-artifact-store.js';
import { FileTaskCallbacks } from '../adapters/local/file-task-callbacks.js';
import { LocalExecutionStarter } from '../adapters/local/local-execution-starter.js';
import { OperatorNotifier, type GateAnswer } from '../adapters/local/operator-notifier.js';
import type { CliIo } from '../cli/io.js';
import { ConfigError } from '../errors.js';
import type { JsonObject } from '../kustomize/json.js';
import { parseOrganization } from '../pipeline/config/organization.js';
import { parseService } from '../pipeline/config/service.js';
import type { GateRecord } from '../pipeline/approvals/gate.js';
import { buildKey, organizationKey, requireRun, type BuildEvent, type RunRecord } from '../pipeline/workflow/records.js';
import { startPipeline } from '../pipeline/workflow/start-pipeline.js';
import { redeployBuild } from '../pipeline/workflow/redeploy.js';
import { publishBuild } from '../pipeline/workflow/source-tree.js';
import { cancelRemainingStep } from '../pipeline/workflow/steps.js';
import { WorkflowErrors } from '../ports/task-callbacks.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { StackJobRequest } from '../ports/stack-job-launcher.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { cliEntryPoint } from './package-root.js';
import { startApprovalServer } from '../adapters/local/approval-server.js';
import { approvalLinksFor, randomKeyring } from '../pipeline/approvals/links.js';
import { projectBuild } from './project-source.js';
import type { ExecutionEvent } from './state-machine-runner.js';
import { localProcessLiveness } from './process-liveness.js';
import { recoverAbandonedRuns } from '../pipeline/workflow/cancellation.js';
import { closeOpenGates } from '../pipeline/workflow/reconcile.js';
import { RUN_OWNER_HEARTBEAT_MS } from '../pipeline/stack-job/run-owner.js';
import { StagelineError } from '../errors.js';

export interface LocalDeployOptions {
  projectDir: string;
  stateDir: string;
  orgConfigFile: string;
  secretsFile: string;
  variablesFile: string;
  /** Overrides of the build event (branch, commit, image, triggeredBy, tag). */
  build?: Partial<BuildEvent>;
  /** `deploy --redeploy`: run this build again as a new run, even if it ran already. */
  redeploy?: boolean;
  /** A retry or rollback (lib/pipeline/workflow/redeploy.ts): the build event to start; its source is in the store already. */
  prepared?: BuildEvent;
  answer: GateAnswer;
  operator: string;
  io: CliIo;
  clock?: Clock;
  /** The runner command (default: this Node running the compiled CLI's `stack-job run`). */
  runner?: { command: string; args: string[] };
  /** Personal links for a gate (the local approval page), when one is served. */
  approvalLinks?: (gate: GateRecord) => { approver: string; url: string }[];
  onRunnerOutput?: (request: StackJobRequest, line: string) => void;
  /** Aborting (Ctrl-C) stops the executions and every stack job. */
  signal?: AbortSignal;
  /** Wraps the store this process uses (fault injection in tests: a full disk). The runners use the state dir as it is. */
  wrapStore?: (store: ArtifactStore) => ArtifactStore;
}

export interface LocalDeployResult {
  run: RunRecord;
  /** false: this exact build already ran; nothing new started. */
  started: boolean;
  superseded: string[];
  /** `concurrency: queue`: the run was created QUEUED behind `queuedBehind`; another process starts it. */
  queued: boolean;
  queuedBehind?: string;
  /** The execution history (empty when nothing started). */
  events: ExecutionEvent[];
}

/**
 * `stageline deploy --local`: uploads the build to the local store exactly as a build stage
 * uploads it to S3, then triggers start-pipeline with a `Build Completed` event; the state
 * machine runs in this process with the local adapters, stack jobs as child processes. Under
 * `concurrency: queue` a build queued behind a run of another process returns at once (QUEUED);
 * that process starts it when its run ends, and waits for it before it returns.
 */
export async function deployLocally(options: LocalDeployOptions): Promise<LocalDeployResult> {
  const clock = options.clock ?? systemClock;
  const directory = new DirectoryArtifactStore(options.stateDir);
  const store: ArtifactStore = options.wrapStore ? options.wrapStore(directory) : directory;
  const callbacks = new FileTaskCallbacks(store);

  const orgText = readOrFail(options.orgConfigFile, 'the organization config', 'create .stageline/organization.yaml or pass --org-config FILE');
  const organization = parseOrganization(orgText, options.orgConfigFile);
  const serviceFile = join(options.projectDir, 'stageline.yaml');
  const service = parseService(readOrFail(serviceFile, 'stageline.yaml', 'run it in a service repository, or pass --project DIR'), serviceFile);
  if (service.metadata.org !== organization.metadata.name) {
    throw new ConfigError(`${serviceFile}: metadata.org is ${JSON.stringify(service.metadata.org)} but the organization config is ${JSON.stringify(organization.metadata.name)}`);
  }
  let build: BuildEvent;
  if (options.prepared) {
    // A retry or rollback: its build is in the store already; nothing is read from the project.
    build = options.prepared;
    if (!(await store.get(buildKey(build.service, build.commitSha)))) {
      throw new ConfigError(`${buildKey(build.service, build.commitSha)}: the build to ${build.origin?.kind ?? 'deploy'} is not in the store`, { hint: 'deploy it with stageline deploy --local first' });
    }
    await store.put(organizationKey, orgText);
  } else {
    const collected = projectBuild(options.projectDir, service, options.build ?? {}, options.operator);
    // What a build stage does in AWS: the organization config, the source subset, build.json.
    await store.put(organizationKey, orgText);
    // A build is immutable: the same commit with other source is refused, before anything is written.
    await publishBuild(store, collected.build, collected.source);
    // --redeploy: the same build record, announced as a new run on purpose.
    build = options.redeploy ? redeployBuild(collected.build, clock.now()) : collected.build;
  }

  const launcher = new ChildProcessLauncher({
    command: options.runner?.command ?? process.execPath,
    args: options.runner?.args ?? [cliEntryPoint(), 'stack-job', 'run'],
    stateDir: options.stateDir,
    secretsFile: options.secretsFile,
    variablesFile: options.variablesFile,
    onOutput: options.onRunnerOutput,
    callbacks,
  });
  const gateDeps = { store, callbacks, clock };
  const notifier = new OperatorNotifier(gateDeps, options.answer, options.operator, options.io, options.projectDir);
  // A gate answered by a person gets the real approval page, on 127.0.0.1, with signed links.
  let approvalLinks = options.approvalLinks ?? (() => []);
  let server: { baseUrl: string; close: () => Promise<void> } | undefined;
  if (!options.approvalLinks && (options.answer.kind === 'wait' || options.answer.kind === 'prompt')) {
    const keyring = randomKeyring();
    server = await startApprovalServer({ ...gateDeps, keyring }, {});
    const baseUrl = server.baseUrl;
    approvalLinks = (gate) => approvalLinksFor(gate, baseUrl, keyring);
  }
  // With --approve / --reject / the prompt, the operator answers every gate (DESIGN §5): a gate
  // whose approvers could not reach quorum without the person who triggered the build still opens.
  const operatorDecides = options.answer.kind !== 'wait';
  const starter = new LocalExecutionStarter({ store, clock, callbacks, launcher, notifier, approvalLinks, operatorDecides }, localProcessLiveness.self());
  // This process owns the runs it executes: a heartbeat on each, so that a run whose deploy was
  // killed is recognised as abandoned (by `stageline cancel`, or the next deploy, below).
  const ownership = setInterval(() => void starter.renewOwnership(), RUN_OWNER_HEARTBEAT_MS);
  ownership.unref();

  // Ctrl-C: stop the executions and every stack job (runners run in their own process groups).
  let abortListener: (() => void) | undefined;
  if (options.signal) {
    const onAbort = () => {
      for (const execution of starter.executions.values()) execution.abort();
      void launcher.stopAll();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    abortListener = () => options.signal!.removeEventListener('abort', onAbort);
  }
  const event: JsonObject = { source: 'stageline.build', 'detail-type': 'Build Completed', detail: build as unknown as JsonObject };
  let started: Awaited<ReturnType<typeof startPipeline>>;
  let execution: ReturnType<typeof starter.executions.get>;
  try {
    // Runs of this service whose deploy died (SIGKILL, a crash) and none of whose jobs is alive are
    // ended now: their gates closed, their leases freed, their queue lane moved on.
    for (const abandoned of await recoverAbandonedRuns({ store, clock, liveness: localProcessLiveness, starter }, build.service)) {
      options.io.err(`ended abandoned run ${abandoned.runId} (${abandoned.status}): ${abandoned.failure?.cause ?? 'its deploy process is gone'}`);
    }
    started = await startPipeline({ store, clock, starter, callbacks }, event);
    execution = starter.executions.get(started.runId);
    // Every execution this process ran: this run's, and the queued runs it started as it ended
    // (and, in turn, theirs). A run queued behind one in another process returns at once.
    await starter.settled();
    const stopped = await launcher.drain();
    if (stopped > 0) options.io.err(`stopped ${stopped} stack job(s) still running after their step ended`);
    if (options.signal?.aborted) {
      // The executions are gone: record the run as the Catch path would have, so it does not stay
      // RUNNING, and close its gates, so that nobody approves into nothing.
      const cause = `interrupted by the operator (${interruptionOf(options.signal)})`;
      for (const runId of starter.executions.keys()) {
        const run = await requireRun(store, runId);
        if (run.status !== 'RUNNING') continue;
        await closeOpenGates({ store, clock }, run, 'CANCELLED', `closed: ${cause}`);
        await cancelRemainingStep({ store, clock }, { runId, failure: { Error: WorkflowErrors.Cancelled, Cause: cause } });
      }
    }
    await failIfUnrecorded(store, clock, starter, started);
  } finally {
    clearInterval(ownership);
    notifier.close();
    abortListener?.();
    await server?.close();
  }
  return {
    run: await requireRun(store, started.runId),
    started: started.started,
    superseded: started.superseded,
    queued: started.queued,
    ...(started.queuedBehind ? { queuedBehind: started.queuedBehind } : {}),
    events: execution?.events ?? [],
  };
}

/** `Ctrl-C` for SIGINT (or no reason); the signal's name otherwise (SIGTERM from a CI timeout, SIGHUP from a closed terminal). */
function interruptionOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return typeof reason === 'string' && reason.startsWith('SIG') && reason !== 'SIGINT' ? reason : 'Ctrl-C';
}

/**
 * A run this process executed that is still RUNNING once every execution has ended: its end could
 * not be recorded (the store refused a write: a full disk). Recording it FAILED is tried once
 * more; either way the deploy ends with one clear line instead of reporting a run in progress.
 */
async function failIfUnrecorded(store: ArtifactStore, clock: Clock, starter: LocalExecutionStarter, started: Awaited<ReturnType<typeof startPipeline>>): Promise<void> {
  if (!started.started || started.queued) return;
  const execution = starter.executions.get(started.runId);
  if (!execution) return;
  const run = await requireRun(store, started.runId).catch(() => undefined);
  if (run && run.status !== 'RUNNING') return;
  const why = execution.storeFailure() ?? 'the workflow ended without recording it';
  const recorded = await cancelRemainingStep({ store, clock }, { runId: started.runId, failure: { Error: 'Stageline.StoreWriteFailed', Cause: `the store could not be written: ${why}` } }).then(
    () => true,
    () => false,
  );
  throw new StagelineError('RUN_NOT_RECORDED', `run ${started.runId} failed: the store could not be written (${why})${recorded ? '' : '; the run still shows RUNNING'}`, {
    hint: recorded ? 'free space in the store and deploy again' : `free space in the store, then \`stageline cancel ${started.runId}\` (or the next deploy) ends it`,
  });
}

function readOrFail(path: string, what: string, hint: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`${path}: cannot read ${what}`, { hint });
  }
}
