import { spawn } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { StagelineError } from '../../errors.js';
import { checkCommandTemplate, renderCommandTemplate } from '../../pipeline/stack-job/command-template.js';
import type { ProvisionJob, ProvisionResult, Provisioner } from '../../ports/provisioner.js';

/** An organization's provisioner for one kind: `spec.stackJobs.provisioners.<kind>`. */
export interface ProvisionerCommands {
  /** Run first, when set (e.g. `pulumi preview`); a failure stops before apply. */
  preview?: string;
  apply: string;
}

export interface CommandProvisionerOptions {
  /** Names the commands in messages. Default `spec.stackJobs.provisioners.<kind>`. */
  where?: string;
  /** Where the private temporary directory for the manifest file is made. Default `os.tmpdir()`. */
  tempDir?: string;
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

  async provision(job: ProvisionJob, log: (line: string) => void): Promise<ProvisionResult> {
    const where = this.options.where ?? `spec.stackJobs.provisioners.${job.kind}`;
    // Both templates are checked before the manifest is written or anything runs.
    if (this.commands.preview !== undefined) checkCommandTemplate(this.commands.preview, `${where}.preview`);
    checkCommandTemplate(this.commands.apply, `${where}.apply`);

    const dir = await mkdtemp(join(this.options.tempDir ?? tmpdir(), 'stageline-stack-job-'));
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
        await this.run('preview', renderCommandTemplate(this.commands.preview, manifestFile, `${where}.preview`), env, log);
      }
      const outputs = await this.run('apply', renderCommandTemplate(this.commands.apply, manifestFile, `${where}.apply`), env, log);
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

  /** Runs one command, relaying its output; resolves with the outputs it printed, rejects unless it exits 0. */
  private run(phase: 'preview' | 'apply', command: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<Record<string, string>> {
    log(`${phase}: ${command}`);
    return new Promise((resolve, reject) => {
      const outputs: Record<string, string> = {};
      const runAs = this.options.runAs;
      const child = spawn(this.options.shell ?? '/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], env, ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) });
      const streamsDone = [child.stdout, child.stderr].map((stream, index) => {
        const lines = createInterface({ input: stream, crlfDelay: Infinity });
        lines.on('line', (line) => {
          const output = index === 0 ? OUTPUT_LINE.exec(line) : null;
          if (output && phase === 'apply') outputs[output[1]!] = output[2]!;
          log(`[${phase}] ${line}`);
        });
        return new Promise<void>((done) => lines.once('close', done));
      });
      let failed = false;
      child.once('error', (error: NodeJS.ErrnoException) => {
        failed = true;
        reject(new ProvisionCommandError(`${phase} command could not start (${error.code ?? 'error'})`));
      });
      child.once('close', (code, signal) => {
        void Promise.all(streamsDone).then(() => {
          if (failed) return;
          if (code === 0) resolve(outputs);
          else if (signal) reject(new ProvisionCommandError(`${phase} command was stopped by signal ${signal}`));
          else reject(new ProvisionCommandError(`${phase} command exited with code ${code}`));
        });
      });
    });
  }
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
