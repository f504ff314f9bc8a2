import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { StackJobLauncher, StackJobRequest } from '../../ports/stack-job-launcher.js';
import { WorkflowErrors, type TaskCallbacks } from '../../ports/task-callbacks.js';

export interface ChildProcessLauncherOptions {
  /** The command that runs `stageline stack-job run` (default: this Node and the compiled CLI). */
  command: string;
  args: string[];
  stateDir: string;
  secretsFile?: string;
  variablesFile?: string;
  /** Each line the runner prints (already redacted by the runner). */
  onOutput?: (request: StackJobRequest, line: string) => void;
  /**
   * Used only when a runner dies before reporting, so the step fails instead of waiting for its
   * timeout; `read` (the file callbacks) tells a runner that outlived its step from one that reported.
   */
  callbacks: TaskCallbacks & { read?(token: string): Promise<unknown> };
}

/**
 * Stack jobs on a laptop: one child process per job running `stageline stack-job run` with the
 * job in STAGELINE_JOB. The runner reports through the file callbacks, so this launcher only
 * starts it and relays its output.
 */
export class ChildProcessLauncher implements StackJobLauncher {
  private readonly children = new Set<ChildProcess>();
  /** Runners that were still running after their step had ended (timed out, stopped) and have exited since. */
  private outlived = 0;
  private readonly exitReports = new Set<Promise<void>>();
  /** Runners this launcher was asked to stop (their step ended without them). */
  private readonly stopping = new WeakSet<ChildProcess>();

  constructor(private readonly options: ChildProcessLauncherOptions) {}

  async launch(request: StackJobRequest): Promise<{ jobId: string }> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STAGELINE_JOB: JSON.stringify(request),
      STAGELINE_STATE_DIR: this.options.stateDir,
    };
    if (this.options.secretsFile) env.STAGELINE_SECRETS_FILE = this.options.secretsFile;
    if (this.options.variablesFile) env.STAGELINE_VARIABLES_FILE = this.options.variablesFile;
    // Its own process group, so that stopping it also stops the provisioner commands it runs.
    const child = spawn(this.options.command, [...this.options.args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.children.add(child);
    child.on('exit', (code, signal) => {
      this.children.delete(child);
      // A runner that reported has closed the step; this failure is then refused as "closed".
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const reported = (async () => {
        const outcome = await this.options.callbacks.fail(request.taskToken, WorkflowErrors.StackJobFailed, `the stack-job runner ${how} before reporting`);
        // Closed with no answer of the runner's: the step had ended without it (its runner then stopped itself).
        if (this.stopping.has(child)) this.outlived++;
        else if (outcome === 'closed' && this.options.callbacks.read && (await this.options.callbacks.read(request.taskToken)) === undefined) this.outlived++;
      })().catch(() => undefined);
      this.exitReports.add(reported);
      void reported.finally(() => this.exitReports.delete(reported));
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.options.onOutput?.(request, line));
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return { jobId: `local-${child.pid}` };
  }

  /**
   * After the run ended: a runner still alive belongs to a step that already ended (timed out,
   * cancelled), and nothing will ever wait for it. It gets `graceMs` to finish reporting, then it
   * and its commands are stopped (SIGTERM, then SIGKILL).
   */
  async drain(graceMs = 5_000): Promise<number> {
    const alive = () => [...this.children].filter((child) => child.exitCode === null && child.signalCode === null);
    const deadline = Date.now() + graceMs;
    // A runner whose step closed stops its commands and exits by itself within seconds (it beats every 2 s).
    while (alive().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    const leftovers = alive();
    if (leftovers.length > 0) await this.stopAll();
    await Promise.all([...this.exitReports]);
    return this.outlived;
  }

  /** Stops one runner (the jobId launch returned) and, through its signal handlers, its commands. */
  async stop(jobId: string): Promise<void> {
    const child = [...this.children].find((candidate) => `local-${candidate.pid}` === jobId);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.stopping.add(child);
    signalGroup(child, 'SIGTERM');
    const killed = setTimeout(() => signalGroup(child, 'SIGKILL'), 6_000);
    await exited;
    clearTimeout(killed);
  }

  /** Stops every runner and the commands it started (Ctrl-C, or runners outliving their step). */
  async stopAll(): Promise<void> {
    const running = [...this.children].filter((child) => child.exitCode === null && child.signalCode === null);
    const exited = running.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    for (const child of running) signalGroup(child, 'SIGTERM');
    // The runner stops its commands' groups on SIGTERM (3 s grace); SIGKILL only if it hangs (its watchdogs then stop them).
    const killed = setTimeout(() => running.forEach((child) => signalGroup(child, 'SIGKILL')), 6_000);
    await Promise.all(exited);
    clearTimeout(killed);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
