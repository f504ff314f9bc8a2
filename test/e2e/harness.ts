import { cpSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CliIo } from '../../lib/cli/io.js';
import { deployLocally, type LocalDeployOptions, type LocalDeployResult } from '../../lib/local-runtime/local-deploy.js';
import type { GateAnswer } from '../../lib/adapters/local/operator-notifier.js';
import { DirectoryArtifactStore } from '../../lib/adapters/local/directory-artifact-store.js';
import { cliEntryPoint } from '../../lib/local-runtime/package-root.js';
import { listRuns } from '../../lib/pipeline/workflow/records.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'hello-service');

/** `stageline.yaml` of the e2e services: hello-service of acme, deploying `environments` (overlay names). */
export const SERVICE_YAML = (environments: readonly string[], concurrency?: 'supersede' | 'queue' | 'parallel') => `apiVersion: stageline.dev/v1
kind: Service
metadata:
  name: hello-service
  org: acme
spec:
  kustomizeDir: _kustomize
  deploymentEnvironments: [${environments.join(', ')}]
${concurrency ? `  concurrency: ${concurrency}\n` : ''}`;

export const ORGANIZATION = (options: { approvalTimeout?: string; provisioners?: string } = {}) => `apiVersion: stageline.dev/v1
kind: Organization
metadata: { name: acme }
spec:
  environments:
    - name: app-dev
    - name: app-staging
    - name: app-production
      approval: { required: true, approvers: [ops@acme.io, lead@acme.io], minApprovals: 1, timeout: ${options.approvalTimeout ?? '72h'} }
  stackJobs:
    runner: local
${options.provisioners ?? ''}`;

/** A service project in a temp dir: the example by default, with files replaced or added. */
export class TestProject {
  readonly dir: string;
  readonly output: string[] = [];

  constructor(files: Record<string, string> = {}, options: { fromExample?: boolean } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'stageline-e2e-'));
    if (options.fromExample !== false) cpSync(EXAMPLE, this.dir, { recursive: true, filter: (source) => !source.includes(`${join('.stageline', 'store')}`) });
    for (const [path, content] of Object.entries(files)) this.write(path, content);
  }

  write(path: string, content: string): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), content);
  }

  readFile(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  /** The patch file of one of the example's overlays. */
  readOverlayPatch(overlay: string): string {
    const dir = join(this.dir, '_kustomize', 'overlays', overlay);
    const patch = readdirSync(dir).find((name) => name !== 'kustomization.yaml')!;
    return readFileSync(join(dir, patch), 'utf8');
  }

  remove(path: string): void {
    rmSync(join(this.dir, path), { recursive: true, force: true });
  }

  get stateDir(): string {
    return join(this.dir, '.stageline', 'store');
  }

  get store(): DirectoryArtifactStore {
    return new DirectoryArtifactStore(this.stateDir);
  }

  readonly io: CliIo = {
    out: (line) => this.output.push(line),
    err: (line) => this.output.push(line),
    interactive: false,
    cwd: '/',
  };

  /** Runs the whole deployment stage locally, as `stageline deploy --local` does. */
  deploy(options: { answer?: GateAnswer; build?: LocalDeployOptions['build']; operator?: string; signal?: AbortSignal } = {}): Promise<LocalDeployResult> {
    return deployLocally({
      projectDir: this.dir,
      stateDir: this.stateDir,
      orgConfigFile: join(this.dir, '.stageline', 'organization.yaml'),
      secretsFile: join(this.dir, '.stageline', 'secrets.yaml'),
      variablesFile: join(this.dir, '.stageline', 'variables.yaml'),
      answer: options.answer ?? { kind: 'approve' },
      operator: options.operator ?? 'operator@acme.io',
      build: { triggeredBy: 'dev@acme.io', ...options.build },
      io: this.io,
      runner: { command: process.execPath, args: [cliEntryPoint(), 'stack-job', 'run'] },
      onRunnerOutput: (request, line) => this.output.push(`[${request.env}] ${line}`),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** Every file under the project's local store, with its content. */
  storeFiles(): Map<string, string> {
    const files = new Map<string, string>();
    const visit = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) visit(path);
        else files.set(path.slice(this.stateDir.length + 1), readFileSync(path, 'utf8'));
      }
    };
    visit(this.stateDir);
    return files;
  }

  /** The id of a run that has an environment waiting for approval, if any. */
  async runWaitingAtGate(): Promise<string | undefined> {
    for (const run of await listRuns(this.store)) {
      if (run.tasks.some((task) => task.status === 'WAITING_APPROVAL')) return run.runId;
    }
    return undefined;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
