import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StagelineError, UsageError } from '../../errors.js';
import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { FileSecretSource } from '../../adapters/local/file-secret-source.js';
import { FileTaskCallbacks } from '../../adapters/local/file-task-callbacks.js';
import { FileVariableSource } from '../../adapters/local/file-variable-source.js';
import { provisionerFor } from '../../adapters/local/provisioners.js';
import { removeLeftoverJobDirs } from '../../adapters/local/command-provisioner.js';
import { localProcessLiveness, processAlive } from '../../local-runtime/process-liveness.js';
import { executeStackJob, type StackJobDeps } from '../../pipeline/stack-job/run-stack-job.js';
import type { StackJobRequest } from '../../ports/stack-job-launcher.js';
import { parseStackJobRequest } from '../../pipeline/stack-job/stack-job-request.js';
import { loadOrganization } from '../../pipeline/workflow/source-tree.js';
import type { Provisioner } from '../../ports/provisioner.js';
import { systemClock } from '../../ports/clock.js';
import type { CliIo } from '../io.js';

export interface StackJobRunOptions {
  /** The job: a StackJobRequest as JSON. Default: env STAGELINE_JOB. */
  job?: string;
  /** The local store. Default: env STAGELINE_STATE_DIR, else `.stageline/store`. */
  stateDir?: string;
  /** Default: env STAGELINE_SECRETS_FILE, else `.stageline/secrets.yaml`; a missing file holds no secrets. */
  secretsFile?: string;
  /** Default: env STAGELINE_VARIABLES_FILE, else `.stageline/variables.yaml`; a missing file holds no variables. */
  variablesFile?: string;
}

/** The job ran and failed; it was recorded in the run and reported to the workflow. Exit code 1. */
export class StackJobFailedError extends StagelineError {
  constructor(message: string) {
    super('STACK_JOB_FAILED', message, { hint: 'the run record and the log above say more; fix the cause and deploy again' });
  }
}

/**
 * `stageline stack-job run`: the stack-job runner with the local adapters (a child process of
 * `stageline deploy --local`). Reads the job, runs it against the local store, and reports the
 * result through `local/callbacks/<token>.json` in that store. Log lines go to stdout (secret
 * values redacted). Returns when the job succeeded; throws StackJobFailedError (exit 1, one line on
 * stderr) when it failed.
 */
export async function stackJobRunCommand(options: StackJobRunOptions, io: CliIo): Promise<void> {
  const env = process.env;
  const inAws = Boolean(env.STAGELINE_BUCKET?.trim());
  // In CodeBuild the job is in the bucket (STAGELINE_JOB_KEY): a build's environment is readable
  // by anyone allowed codebuild:BatchGetBuilds, and the job carries the task token.
  const fromBucket = inAws && !options.job && !env.STAGELINE_JOB ? await (await import('../../adapters/aws/runner-wiring.js')).readJobFromBucket(env) : undefined;
  const jobJson = options.job ?? env.STAGELINE_JOB ?? fromBucket;
  if (jobJson === undefined || jobJson.trim() === '') {
    throw new UsageError('no stack job given: pass --job JSON, or set STAGELINE_JOB (STAGELINE_JOB_KEY with STAGELINE_BUCKET in AWS)', {
      hint: 'the job is a StackJobRequest as JSON (lib/ports/stack-job-launcher.ts)',
    });
  }
  const request = parseStackJobRequest(jobJson, options.job !== undefined ? '--job' : fromBucket !== undefined ? 'STAGELINE_JOB_KEY' : 'STAGELINE_JOB');

  // In CodeBuild: the bucket, Secrets Manager, SSM and Step Functions (loaded only here, so the
  // local runner never loads the AWS SDK). Building them calls nothing: the runner's first call is
  // its heartbeat; the organization and the environment's role come once it holds the lease.
  if (inAws) {
    const { awsStackJobDeps } = await import('../../adapters/aws/runner-wiring.js');
    const awsDeps = await awsStackJobDeps(request, env);
    const report = await whileStoppable((signal) => executeStackJob({ ...awsDeps, clock: systemClock, log: (line) => io.out(line), signal }, request));
    if (report.outcome === 'failed') throw new StackJobFailedError(`stack job for ${request.service} → ${request.env} failed: ${report.detail}`);
    return;
  }

  const stateDir = resolve(io.cwd, options.stateDir ?? env.STAGELINE_STATE_DIR ?? join('.stageline', 'store'));
  const secretsFile = resolve(io.cwd, options.secretsFile ?? env.STAGELINE_SECRETS_FILE ?? join('.stageline', 'secrets.yaml'));
  const variablesFile = resolve(io.cwd, options.variablesFile ?? env.STAGELINE_VARIABLES_FILE ?? join('.stageline', 'variables.yaml'));
  const store = new DirectoryArtifactStore(stateDir);

  // The organization decides the provisioner per kind. It is read when the runner asks for the
  // provisioner — after its first heartbeat and once it holds the environment's lease, inside its
  // own error handling: an unreadable config fails the job through the workflow, before any change.
  // Resolved manifests (secrets) go to the state dir's private folder (0700), never a shared temp
  // directory; what a runner that died left there is removed now (each name carries its pid).
  const privateDir = join(stateDir, 'local', 'private');
  await removeLeftoverJobDirs(privateDir, processAlive);
  const pick = async (kind: string): Promise<Provisioner> => provisionerFor(await loadOrganization(store), store, { tempDir: privateDir })(kind);
  const log = jobLog(stateDir, request, io);

  const report = await whileStoppable((signal) =>
    executeStackJob(
      {
        store,
        secrets: new FileSecretSource(secretsFile),
        variables: new FileVariableSource(variablesFile),
        callbacks: new FileTaskCallbacks(store),
        provisionerFor: pick,
        clock: systemClock,
        log,
        liveness: localProcessLiveness,
        // The local step's heartbeat is a file: beat often, so a timed-out step stops the apply within seconds.
        heartbeatMs: LOCAL_HEARTBEAT_MS,
        leaseHeartbeatMs: LOCAL_LEASE_HEARTBEAT_MS,
        signal,
      },
      request,
    ),
  );
  if (report.outcome === 'failed') {
    throw new StackJobFailedError(`stack job for ${request.service} → ${request.env} failed: ${report.detail}`);
  }
}

/** The local runner's step heartbeat (a file write) and lease renewal periods. */
const LOCAL_HEARTBEAT_MS = 2_000;
const LOCAL_LEASE_HEARTBEAT_MS = 1_000;

/**
 * Runs the job with SIGTERM, SIGINT and SIGHUP turned into a stop of the job: its provisioner's
 * process group is stopped, the job recorded and reported as failed, the lease released, the
 * resolved manifest removed; then the runner exits as usual. (SIGKILL cannot be caught: the
 * provisioner's watchdog stops the group then, and the next runner removes the manifest.)
 */
async function whileStoppable<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  const handlers = signals.map((name) => {
    const handler = () => controller.abort(`${name} received`);
    process.on(name, handler);
    return [name, handler] as const;
  });
  try {
    return await run(controller.signal);
  } finally {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
  }
}

/**
 * The job's log: every line (already redacted) to stdout, for `deploy --local` to relay, and to
 * `<stateDir>/local/logs/<runId>/<index>-<overlay>.log` (0600). The runner outlives a
 * `deploy --local` that is killed or piped into `head`: its stdout is then gone (the CLI drops
 * lines quietly), and the file keeps the whole log. A log file that cannot be written is skipped.
 */
function jobLog(stateDir: string, request: StackJobRequest, io: CliIo): StackJobDeps['log'] {
  const dir = join(stateDir, 'local', 'logs', request.runId);
  const file = join(dir, `${request.taskIndex}-${request.overlay}.log`);
  let fileOk = true;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    fileOk = false;
  }
  return (line) => {
    io.out(line);
    if (!fileOk) return;
    try {
      appendFileSync(file, `${new Date().toISOString()} ${line}\n`, { mode: 0o600 });
    } catch {
      fileOk = false;
    }
  };
}
