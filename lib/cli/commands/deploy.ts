import pc from 'picocolors';
import { operatorIdentity } from '../../adapters/local/operator-identity.js';
import type { GateAnswer } from '../../adapters/local/operator-notifier.js';
import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { UsageError, StagelineError } from '../../errors.js';
import { deployLocally } from '../../local-runtime/local-deploy.js';
import { formatRunTable, watchRun } from '../../local-runtime/progress.js';
import { listRuns, type BuildEvent } from '../../pipeline/workflow/records.js';
import type { CliIo } from '../io.js';
import { localProjectPaths } from '../../adapters/local/local-project.js';

export interface DeployOptions {
  project: string;
  local?: boolean;
  /** AWS only: show progress per environment until the run ends. */
  follow?: boolean;
  bucket?: string;
  region?: string;
  branch?: string;
  commit?: string;
  image?: string;
  tag?: string;
  triggeredBy?: string;
  approve?: boolean;
  reject?: string | boolean;
  orgConfig?: string;
  stateDir?: string;
  secretsFile?: string;
  variablesFile?: string;
  /** Run this build again as a new run, even if it ran already. */
  redeploy?: boolean;
  /** `stageline retry` / `rollback`: the build event to start (its source is in the store already). */
  prepared?: BuildEvent;
}

/**
 * `stageline deploy`: without `--local`, upload the build and publish `Build Completed` to the
 * stack in AWS; with it, the whole deployment stage on this machine, with live progress and a
 * final table.
 */
export async function deployCommand(options: DeployOptions, io: CliIo): Promise<void> {
  if (!options.local) {
    if (options.approve || options.reject) throw new UsageError('--approve / --reject answer gates only with --local', { hint: 'in AWS, approvers use their emailed links' });
    const { deployToAwsCommand } = await import('./deploy-aws.js');
    await deployToAwsCommand(options, io);
    return;
  }
  if (options.approve && options.reject) throw new UsageError('--approve and --reject exclude each other');
  const paths = localProjectPaths(io.cwd, options);
  const operator = operatorIdentity(paths.root);
  const answer: GateAnswer = options.approve
    ? { kind: 'approve' }
    : options.reject
      ? { kind: 'reject', reason: typeof options.reject === 'string' ? options.reject : 'rejected with --reject' }
      : io.interactive && process.stdin.isTTY
        ? { kind: 'prompt' }
        : { kind: 'wait' };

  const store = new DirectoryArtifactStore(paths.storeDir);
  const known = new Set((await listRuns(store)).map((run) => run.runId));
  let watcher: { stop: () => Promise<void> } | undefined;
  const started = Date.now();
  // Follow the newest run as soon as start-pipeline has created it.
  const follow = setInterval(async () => {
    if (watcher) return;
    const newest = (await listRuns(store)).find((run) => !known.has(run.runId));
    if (!newest || watcher) return;
    io.err(`run ${newest.runId}: ${newest.build.service} ${newest.build.commitSha.slice(0, 12)} (${newest.build.branch}) → ${newest.build.image}`);
    watcher = watchRun(store, newest.runId, (task) => {
      const elapsed = `${((Date.now() - started) / 1000).toFixed(1)}s`;
      io.err(`  ${pc.dim(elapsed.padStart(6))}  ${task.env.padEnd(20)} ${colour(task.status)}${task.detail ? `  ${pc.dim(task.detail)}` : ''}`);
    });
  }, 100);

  // Ctrl-C, a CI timeout's SIGTERM and a closed terminal's SIGHUP stop the run cleanly: executions
  // aborted, gates closed, stack jobs stopped (their process groups), the run recorded CANCELLED.
  // A second signal while stopping changes nothing (the stop is already under way, and bounded).
  const interrupted = new AbortController();
  const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onInterrupt = (signal: NodeJS.Signals) => {
    if (interrupted.signal.aborted) return;
    io.err(`interrupted (${signal}): stopping the run and its stack jobs`);
    interrupted.abort(signal);
  };
  for (const name of stopSignals) process.on(name, onInterrupt);
  try {
    const result = await deployLocally({
      signal: interrupted.signal,
      projectDir: paths.root,
      stateDir: paths.storeDir,
      orgConfigFile: paths.orgFile,
      secretsFile: paths.secretsFile,
      variablesFile: paths.variablesFile,
      build: {
        ...(options.branch ? { branch: options.branch } : {}),
        ...(options.commit ? { commitSha: options.commit } : {}),
        ...(options.image ? { image: options.image } : {}),
        ...(options.tag ? { tag: options.tag } : {}),
        ...(options.triggeredBy ? { triggeredBy: options.triggeredBy } : {}),
      },
      ...(options.redeploy ? { redeploy: true } : {}),
      ...(options.prepared ? { prepared: options.prepared } : {}),
      answer,
      operator,
      io,
      onRunnerOutput: (request, line) => io.err(`  ${pc.dim(`[${request.env}]`)} ${line}`),
    });
    clearInterval(follow);
    await watcher?.stop();
    if (!result.started && result.run.status === 'QUEUED') {
      io.err(`this build is already queued as ${result.run.runId}${result.run.queuedBehind ? ` behind ${result.run.queuedBehind}` : ''}; nothing new started`);
    } else if (!result.started) {
      io.err(`this build already ran as ${result.run.runId} (${result.run.status}); nothing new started`);
      io.err('hint: --redeploy runs it again as a new run; a changed overlay, --commit or --image makes a new build');
    }
    if (result.queued) {
      io.err(`queued behind ${result.queuedBehind ?? 'an older run of this branch'}: it starts when that run finishes`);
      io.err(`hint: the process running that run starts this one and shows its progress; follow it with stageline status ${result.run.runId} --project ${options.project}`);
    }
    for (const older of result.superseded) io.err(`superseded older run ${older}`);
    for (const line of formatRunTable(result.run)) io.out(line);
    // A queued run is not a failure: it starts when the run before it finishes.
    if (result.run.status !== 'SUCCEEDED' && result.run.status !== 'QUEUED') {
      throw new StagelineError('RUN_FAILED', `run ${result.run.runId} ${result.run.status.toLowerCase()}${result.run.failure ? `: ${result.run.failure.cause}` : ''}`, {
        hint: `details: stageline status ${result.run.runId} --project ${options.project}`,
      });
    }
  } finally {
    for (const name of stopSignals) process.removeListener(name, onInterrupt);
    clearInterval(follow);
    await watcher?.stop();
  }
}

function colour(status: string): string {
  if (status === 'SUCCEEDED' || status === 'APPROVED') return pc.green(status);
  if (status === 'FAILED' || status === 'REJECTED' || status === 'TIMED_OUT') return pc.red(status);
  if (status === 'CANCELLED' || status === 'SUPERSEDED') return pc.yellow(status);
  return pc.cyan(status);
}
