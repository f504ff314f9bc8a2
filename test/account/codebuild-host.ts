import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';
import type { LogLine } from './lambda-host.js';

/** The CodeBuild project as the template deploys it. */
export interface ProjectSpec {
  name: string;
  arn: string;
  /** The S3 source (the runner package), as a folder of cdk.out. */
  sourceDir: string;
  buildSpec: string;
  /** The project's environment variables (PLAINTEXT), resolved. */
  environment: Record<string, string>;
  serviceRoleArn: string;
}

export interface BuildRecord {
  id: string;
  arn: string;
  status: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  overrides: Array<{ name: string; value: string; type?: string }>;
  exitCode?: number | null;
  /** Milliseconds from StartBuild to the build's end. */
  ms?: number;
  done: Promise<void>;
}

interface BuildSpecPhases {
  env?: { shell?: string };
  phases?: Record<string, { commands?: string[] }>;
}

/**
 * Carries out the builds CodeBuild would run for the stack-job project: the project's source
 * (the synthesized runner package) in a build directory, the buildspec's install commands once
 * (the package install is identical for every build), then each build's `build` commands with
 * the project's variables, the build's overrides and the service role's credentials served the
 * way CodeBuild serves them (a container-credentials endpoint: nothing in the environment).
 */
export class CodeBuildHost {
  readonly builds: BuildRecord[] = [];
  private installed: Promise<string> | undefined;

  constructor(
    private readonly options: {
      project: ProjectSpec;
      endpoint: string;
      region: string;
      /** A loopback URL serving the service role's credentials for one build. */
      credentialsUrlFor: (buildId: string) => string;
      /** Extra variables of the build image (the fixtures' provisioner tools). */
      imageEnvironment: Record<string, string>;
      logs: LogLine[];
      onEnd: (build: BuildRecord) => Promise<void>;
    },
  ) {}

  start(buildId: string, overrides: BuildRecord['overrides']): BuildRecord {
    const { project } = this.options;
    const record: BuildRecord = {
      id: buildId,
      arn: `arn:aws:codebuild:${this.options.region}:${project.arn.split(':')[4]}:build/${buildId}`,
      status: 'IN_PROGRESS',
      overrides,
      done: Promise.resolve(),
    };
    const started = Date.now();
    record.done = (async () => {
      let code: number | null = 1;
      try {
        const dir = await this.install();
        code = await this.runPhase('build', dir, this.buildEnvironment(record), `build:${buildId.split(':').pop()!.slice(0, 8)}`);
      } catch (error) {
        this.options.logs.push({ source: 'codebuild', line: `build ${buildId} could not run: ${String(error)}` });
      }
      record.exitCode = code;
      record.ms = Date.now() - started;
      record.status = code === 0 ? 'SUCCEEDED' : 'FAILED';
      await this.options.onEnd(record);
    })();
    this.builds.push(record);
    return record;
  }

  private install(): Promise<string> {
    this.installed ??= (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stageline-codebuild-src-'));
      // CodeBuild's source directory is readable by every user of the build container.
      chmodSync(dir, 0o755);
      cpSync(this.options.project.sourceDir, dir, { recursive: true });
      const code = await this.runPhase('install', dir, this.buildEnvironment(undefined), 'install');
      if (code !== 0) throw new Error(`the buildspec's install phase failed (exit ${code})`);
      return dir;
    })();
    return this.installed;
  }

  private buildEnvironment(record: BuildRecord | undefined): NodeJS.ProcessEnv {
    const overrides = Object.fromEntries((record?.overrides ?? []).map((variable) => [variable.name, variable.value]));
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TZ: 'UTC',
      ...this.options.imageEnvironment,
      ...this.options.project.environment,
      ...overrides,
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      AWS_ENDPOINT_URL: this.options.endpoint,
      ...(record
        ? {
            CODEBUILD_BUILD_ID: record.id,
            CODEBUILD_BUILD_ARN: record.arn,
            AWS_CONTAINER_CREDENTIALS_FULL_URI: this.options.credentialsUrlFor(record.id),
          }
        : {}),
      // npm writes nowhere outside the build: no update check, no funding messages.
      npm_config_update_notifier: 'false',
      npm_config_offline: 'true',
    };
  }

  private runPhase(phase: string, dir: string, env: NodeJS.ProcessEnv, source: string): Promise<number | null> {
    const spec = parse(this.options.project.buildSpec) as BuildSpecPhases;
    const commands = spec.phases?.[phase]?.commands ?? [];
    if (commands.length === 0) return Promise.resolve(0);
    // CodeBuild runs a phase's commands in one shell and stops at the first failing one.
    const script = ['set -e', ...commands].join('\n');
    return new Promise((resolve) => {
      const child = spawn(spec.env?.shell ?? 'bash', ['-c', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => this.options.logs.push({ source, line }));
      child.once('close', (code) => resolve(code));
      child.once('error', () => resolve(127));
    });
  }
}
