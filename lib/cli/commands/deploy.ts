import pc from 'picocolors';
import { operatorIdentity } from '../../adapters/local/operator-identity.js';
import type { GateAnswer } from '../../adapters/local/operator-notifier.js';
import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { UsageError, StagelineError } from '../../errors.js';
import { deployLocally } from '../../local-runtime/local-deploy.js';
import { formatRunTable, watchRun } from '../../local-runtime/progress.js';
import { listRuns, type BuildEvent } from '../../pipeline/workflow/records.js';
import { printable, type CliIo } from '../io.js';
import { listRunEvents } from '../../pipeline/workflow/run-events.js';
import type { StackJobRequest } from '../../ports/stack-job-launcher.js';
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
  /** Also print every line of the stack jobs (what the provisioner says). */
  verbose?: boolean;
  /** Print only the run's final line. */
  quiet?: boolean;
  /** `json`: one JSON run event per line on stdout (as `stageline events --json`), nothing else there. */
  output?: string;
}

type OutputMode = 'text' | 'verbose' | 'quiet' | 'json';

function outputMode(options: DeployOptions): OutputMode {
  if (options.output !== undefined && options.output !== 'text' && options.output !== 'json') {
    throw new UsageError(`--output ${JSON.stringify(options.output)}: expected text or json`);
  }
  const chosen = [options.verbose && 'verbose', options.quiet && 'quiet', options.output === 'json' && 'json'].filter(Boolean) as OutputMode[];
  if (chosen.length > 1) throw new UsageError(`${chosen.map((mode) => (mode === 'json' ? '--output json' : `--${mode}`)).join(' and ')} exclude each other`);
  return chosen[0] ?? 'text';
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
  const mode = outputMode(options);
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
  // Follow the newest run as soon as start-pipeline has created it: one line per environment
  // state change (text, verbose), its run events (json), nothing (quiet).
  const follow = setInterval(async () => {
    if (watcher || mode === 'quiet') return;
    const newest = (await listRuns(store)).find((run) => !known.has(run.runId));
    if (!newest || watcher) return;
    if (mode === 'json') {
      watcher = streamRunEvents(store, newest.runId, io);
      return;
    }
    io.err(printable(`run ${newest.runId}: ${newest.build.service} ${newest.build.commitSha.slice(0, 12)} (${newest.build.branch}) → ${newest.build.image}`));
    watcher = watchRun(store, newest.runId, (task) => {
      const elapsed = `${((Date.now() - started) / 1000).toFixed(1)}s`;
      io.err(`  ${pc.dim(elapsed.padStart(6))}  ${task.env.padEnd(20)} ${colour(task.status)}${task.detail ? `  ${pc.dim(printable(task.detail))}` : ''}`);
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
      // The stack jobs' own lines are in their logs (stageline logs); --verbose shows them here too.
      ...(mode === 'verbose' ? { onRunnerOutput: (request: StackJobRequest, line: string) => io.err(`  ${pc.dim(`[${request.env}]`)} ${printable(line)}`) } : {}),
    });
    clearInterval(follow);
    // A run that ended before the first look still gets its events printed.
    if (mode === 'json' && !watcher) watcher = streamRunEvents(store, result.run.runId, io);
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
    if (mode === 'text' || mode === 'verbose') for (const line of formatRunTable(result.run)) io.out(printable(line));
    else if (mode === 'quiet') io.out(`run ${result.run.runId}: ${result.run.status}`);
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

/** `--output json`: the run's events, one per line on stdout, as they are appended (and the rest when stopped). */
function streamRunEvents(store: DirectoryArtifactStore, runId: string, io: CliIo): { stop: () => Promise<void> } {
  const printed = new Set<string>();
  const print = async () => {
    for (const event of await listRunEvents(store, runId)) {
      if (printed.has(event.id)) continue;
      printed.add(event.id);
      io.out(JSON.stringify(event));
    }
  };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await print().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await print().catch(() => undefined);
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

function colour(status: string): string {
  if (status === 'SUCCEEDED' || status === 'APPROVED') return pc.green(status);
  if (status === 'FAILED' || status === 'REJECTED' || status === 'TIMED_OUT') return pc.red(status);
  if (status === 'CANCELLED' || status === 'SUPERSEDED') return pc.yellow(status);
  return pc.cyan(status);
}
