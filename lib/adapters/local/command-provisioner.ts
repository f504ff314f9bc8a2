import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { StagelineError } from '../../errors.js';
import { checkCommandTemplate, renderCommandTemplate } from '../../pipeline/stack-job/command-template.js';
import type { ProvisionControl, ProvisionJob, ProvisionResult, Provisioner } from '../../ports/provisioner.js';

/** An organization's provisioner for one kind: `spec.stackJobs.provisioners.<kind>`. */
export interface ProvisionerCommands {
  /** Run first, when set (e.g. `pulumi preview`); a failure stops before apply. */
  preview?: string;
  apply: string;
}

export interface CommandProvisionerOptions {
  /** Names the commands in messages. Default `spec.stackJobs.provisioners.<kind>`. */
  where?: string;
  /**
   * Where the job's private directory (0700, holding the resolved manifest) is made. Locally the
   * state dir's private folder (`<stateDir>/local/private`, made 0700 here); default `os.tmpdir()`
   * (a CodeBuild container is the job's alone).
   */
  tempDir?: string;
  /** How long a stopped command's process group gets after SIGTERM before SIGKILL. Default 3 s. */
  stopGraceMs?: number;
  /** The commands' environment. Default: this process's, without `STAGELINE_JOB` (it holds the task token). */
  env?: NodeJS.ProcessEnv;
  /** The shell. Default `/bin/sh`. */
  shell?: string;
  /**
   * Run the commands as this (unprivileged) user instead of the runner's own. The runner's
   * credentials live in its environment and every ancestor's (`/proc/<pid>/environ`): a process of
   * another user cannot read those, so a provisioner cannot take the runner's role. Needs the
   * runner to run as root (CodeBuild does); the job's directory is handed to the user.
   */
  runAs?: ProvisionerUser;
}

/** The OS user provisioner commands run as. */
export interface ProvisionerUser {
  name: string;
  uid: number;
  gid: number;
}

/** A provisioner command failed; the message never includes its output (which may hold secrets). */
export class ProvisionCommandError extends StagelineError {
  constructor(message: string) {
    super('PROVISION_COMMAND_FAILED', message, { hint: "see the stack job's log for the command's output" });
  }
}

/** A stdout line `STAGELINE_OUTPUT key=value` makes `key` a stack-job output. */
const OUTPUT_LINE = /^STAGELINE_OUTPUT\s+([A-Za-z0-9_.-]+)=(.*)$/;

/**
 * Runs the organization's `preview` (when set) then `apply` command for a kind, each through
 * `/bin/sh -c`. `{{ .ManifestFile }}` becomes the shell-quoted path of a temporary file holding the
 * RESOLVED manifest: created with mode 0600 inside a fresh 0700 directory, and removed when the
 * job ends, however it ends.
 *
 * The commands' stdout and stderr are relayed line by line to the job's log (which redacts secret
 * values); a `STAGELINE_OUTPUT key=value` line on apply's stdout records an output. Each command
 * also sees STAGELINE_MANIFEST_FILE, STAGELINE_ORG, STAGELINE_ENV, STAGELINE_SERVICE,
 * STAGELINE_KIND and STAGELINE_NAME in its environment.
 */
export class CommandProvisioner implements Provisioner {
  constructor(
    private readonly commands: ProvisionerCommands,
    private readonly options: CommandProvisionerOptions = {},
  ) {}

  async provision(job: ProvisionJob, log: (line: string) => void, control: ProvisionControl = {}): Promise<ProvisionResult> {
    const where = this.options.where ?? `spec.stackJobs.provisioners.${job.kind}`;
    // Both templates are checked before the manifest is written or anything runs.
    if (this.commands.preview !== undefined) checkCommandTemplate(this.commands.preview, `${where}.preview`);
    checkCommandTemplate(this.commands.apply, `${where}.apply`);

    const parent = this.options.tempDir ?? tmpdir();
    if (this.options.tempDir !== undefined) await makePrivateDir(parent);
    // The runner's pid in the name: a directory left by a runner that died is recognised and removed (removeLeftoverJobDirs).
    const dir = await mkdtemp(join(parent, `${JOB_DIR_PREFIX}${process.pid}-`));
    try {
      const manifestFile = join(dir, 'manifest.yaml');
      await writeFile(manifestFile, job.resolvedManifest, { mode: 0o600, flag: 'wx' });
      const runAs = this.options.runAs;
      if (runAs) {
        // Still private (0700 / 0600), now to the provisioner's user; its home for the tools' caches.
        await chown(dir, runAs.uid, runAs.gid);
        await chown(manifestFile, runAs.uid, runAs.gid);
      }
      const env = { ...this.baseEnv(), ...jobEnv(job, manifestFile), ...(runAs ? { HOME: dir, USER: runAs.name, LOGNAME: runAs.name } : {}) };
      if (this.commands.preview !== undefined) {
        await this.run('preview', renderCommandTemplate(this.commands.preview, manifestFile, `${where}.preview`), env, log, dir, control);
      }
      const outputs = await this.run('apply', renderCommandTemplate(this.commands.apply, manifestFile, `${where}.apply`), env, log, dir, control);
      const count = Object.keys(outputs).length;
      const steps = this.commands.preview !== undefined ? 'previewed and applied' : 'applied';
      return { outputs, summary: `${steps}; ${count} output${count === 1 ? '' : 's'}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private baseEnv(): NodeJS.ProcessEnv {
    if (this.options.env) return this.options.env;
    const { STAGELINE_JOB: _token, ...rest } = process.env;
    return rest;
  }

  /**
   * Runs one command in its own process group, relaying its output; resolves with the outputs it
   * printed, rejects unless it exits 0. Settles only once no process of the group is left: what
   * the command left running in the background is stopped when it exits, and an abort of
   * `control.signal` stops the whole group (SIGTERM, SIGKILL after the grace). A watchdog outside
   * the group stops it too, and removes the job's directory, if this runner dies (even by SIGKILL).
   */
  private async run(phase: 'preview' | 'apply', command: string, env: NodeJS.ProcessEnv, log: (line: string) => void, jobDir: string, control: ProvisionControl): Promise<Record<string, string>> {
    const signal = control.signal;
    if (signal?.aborted) throw new ProvisionCommandError(`${phase} command not started: ${reasonOf(signal)}`);
    log(`${phase}: ${command}`);
    const outputs: Record<string, string> = {};
    const runAs = this.options.runAs;
    const grace = this.options.stopGraceMs ?? 3_000;
    // The command waits for a "go" on its stdin, written once its watchdog is armed: a runner killed
    // in between leaves no command running (EOF: it exits before running anything).
    const shell = this.options.shell ?? '/bin/sh';
    const child = spawn(shell, ['-c', 'read -r _go || exit 125; exec "$0" -c "$1" </dev/null', shell, command], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
      detached: true,
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    });
    const streamsDone = [child.stdout, child.stderr].map((stream, index) => {
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => {
        const output = index === 0 ? OUTPUT_LINE.exec(line) : null;
        if (output && phase === 'apply') outputs[output[1]!] = output[2]!;
        log(`[${phase}] ${line}`);
      });
      return new Promise<void>((done) => lines.once('close', done));
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: NodeJS.ErrnoException }>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => resolve({ error }));
      child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal }));
    });
    const started = await Promise.race([new Promise<boolean>((resolve) => child.once('spawn', () => resolve(true))), exited.then(() => false)]);
    if (!started || child.pid === undefined) {
      const outcome = await exited;
      throw new ProvisionCommandError(`${phase} command could not start (${'error' in outcome ? (outcome.error.code ?? 'error') : 'error'})`);
    }
    const pgid = child.pid;
    control.onProcessGroup?.(pgid);
    const watchdog = startWatchdog(pgid, jobDir, grace);
    child.stdin?.on('error', () => undefined);
    child.stdin?.end('go\n');
    let stoppedBecause: string | undefined;
    const onAbort = () => {
      stoppedBecause = reasonOf(signal!);
      log(`${phase}: stopping the command and its processes (${stoppedBecause})`);
      void stopGroup(pgid, grace);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await exited;
      // The command is over: anything it left in its group goes with it (the job is one unit).
      await stopGroup(pgid, grace);
      await Promise.all(streamsDone);
      if ('error' in outcome) throw new ProvisionCommandError(`${phase} command could not start (${outcome.error.code ?? 'error'})`);
      if (stoppedBecause !== undefined) throw new ProvisionCommandError(`${phase} command was stopped: ${stoppedBecause}`);
      if (outcome.code === 0) return outputs;
      if (outcome.signal) throw new ProvisionCommandError(`${phase} command was stopped by signal ${outcome.signal}`);
      throw new ProvisionCommandError(`${phase} command exited with code ${outcome.code}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stopWatchdog(watchdog);
      control.onProcessGroup?.(undefined);
    }
  }
}

/** The name every job directory starts with, followed by the runner's pid. */
export const JOB_DIR_PREFIX = 'stageline-stack-job-';

/** Creates `dir` (and its parents) and makes it 0700 even if it existed: it holds resolved manifests. */
async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Removes the job directories (resolved manifests: secrets) left in `dir` by runners that are
 * gone (a crash, SIGKILL, a power cut): each name carries its runner's pid. A directory of a
 * runner still alive is another job's, in progress, and is kept. Returns how many were removed.
 */
export async function removeLeftoverJobDirs(dir: string, isAlive: (pid: number) => boolean): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of entries) {
    const match = new RegExp(`^${JOB_DIR_PREFIX}(\\d+)-`).exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * A lifeline for one command's process group, outside it and outside this runner's group (its own
 * session): it blocks reading a pipe only this runner writes to. When the runner dies, however it
 * dies (SIGKILL included), the kernel closes the pipe, `read` returns, and the watchdog stops the
 * group (SIGTERM, then SIGKILL) and removes the job's directory. No polling and no prctl: it works
 * on any Linux (and any POSIX system). A runner that ends normally kills the watchdog first.
 */
function startWatchdog(pgid: number, jobDir: string, graceMs: number): ChildProcess | undefined {
  // Its environment is its own (PATH only): the job's secrets-bearing environment is not passed on.
  const script = [
    'read -r _ignored',
    'kill -TERM "-$PGID" 2>/dev/null',
    'i=0; while kill -0 "-$PGID" 2>/dev/null && [ "$i" -lt "$TICKS" ]; do sleep 0.1; i=$((i + 1)); done',
    'kill -KILL "-$PGID" 2>/dev/null',
    'rm -rf -- "$JOB_DIR"',
  ].join('; ');
  try {
    const watchdog = spawn('/bin/sh', ['-c', script], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGID: String(pgid), JOB_DIR: jobDir, TICKS: String(Math.max(1, Math.ceil(graceMs / 100))) },
    });
    watchdog.once('error', () => undefined);
    watchdog.stdin?.on('error', () => undefined);
    // It must not keep the runner alive; the runner keeps the pipe open by merely existing.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return watchdog;
  } catch {
    return undefined;
  }
}

function stopWatchdog(watchdog: ChildProcess | undefined): void {
  if (!watchdog || watchdog.exitCode !== null || watchdog.signalCode !== null) return;
  watchdog.kill('SIGKILL');
  watchdog.stdin?.destroy();
}

/** SIGTERM to the group, SIGKILL to what is left after the grace; resolves once no process of the group is left (or after 2 × grace). */
async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(20);
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGKILL');
  const last = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < last) await sleep(20);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Gone already.
  }
}

/**
 * Whether a process of the group is still running. `kill(-pgid, 0)` also counts zombies, and a
 * process orphaned by the command's exit stays a zombie until the machine's init reaps it (a
 * second or more in some containers): on Linux the members are looked up in /proc and zombies
 * are not counted.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true; // No /proc: the signal's answer stands.
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) return true;
  }
  return false;
}

function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' && reason !== '' ? reason : 'the stack job was stopped';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function jobEnv(job: ProvisionJob, manifestFile: string): NodeJS.ProcessEnv {
  return {
    STAGELINE_MANIFEST_FILE: manifestFile,
    STAGELINE_ORG: job.org,
    STAGELINE_ENV: job.env,
    STAGELINE_SERVICE: job.service,
    STAGELINE_KIND: job.kind,
    STAGELINE_NAME: job.name,
  };
}
