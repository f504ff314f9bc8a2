import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { DirectoryArtifactStore } from '../../../../lib/adapters/local/directory-artifact-store.js';
import type { JsonObject } from '../../../../lib/kustomize/json.js';
import { canonicalizeManifest } from '../../../../lib/pipeline/manifest.js';
import { manifestKey } from '../../../../lib/pipeline/run-manifests.js';
import { executeStackJob, type StackJobDeps, type StackJobReport } from '../../../../lib/pipeline/stack-job/run-stack-job.js';
import { createRun, readRun, type RunRecord, type RunTask, type TaskStatus } from '../../../../lib/pipeline/workflow/records.js';
import { fixedClock } from '../../../../lib/ports/clock.js';
import type { Provisioner } from '../../../../lib/ports/provisioner.js';
import type { ReferenceScope, SecretSource } from '../../../../lib/ports/secret-source.js';
import type { StackJobRequest } from '../../../../lib/ports/stack-job-launcher.js';
import type { CallbackOutcome, TaskCallbacks } from '../../../../lib/ports/task-callbacks.js';
import type { VariableSource } from '../../../../lib/ports/variable-source.js';

/** A secret value that must never leave the runner's memory (scanned for everywhere). */
export const CANARY = 'canary-S3cr3t-7f1c9e';

export const ORG = 'acme';
export const ENV = 'app-dev';
export const SERVICE = 'hello';
export const RUN_ID = 'run-1';
export const TOKEN = 'token-abc-123';
export const NOW = '2030-01-02T03:04:05.000Z';

/** The manifest most tests deploy: one secret and one variable reference. */
export function helloManifest(overrides: { image?: string; secrets?: Record<string, string>; env?: string } = {}): JsonObject {
  return {
    apiVersion: 'kubernetes.openmcf.org/v1',
    kind: 'KubernetesDeployment',
    metadata: { name: 'hello', env: overrides.env ?? ENV },
    spec: {
      container: {
        app: {
          image: overrides.image ?? 'registry.example/hello:1111111',
          env: {
            secrets: overrides.secrets ?? { DATABASE_PASSWORD: '$secrets-group/database/password' },
            variables: { LOG_LEVEL: '$variables-group/app/log-level' },
          },
        },
      },
    },
  };
}

type Groups = Record<string, Record<string, string>>;

/** In-memory sources: `org` groups, plus `envs[env]` groups that win over them (like secrets.yaml). */
export function memorySecrets(org: Groups, envs: Record<string, Groups> = {}): SecretSource {
  return { getSecret: async (scope: ReferenceScope, group, key) => (scope.env ? envs[scope.env] : org)?.[group]?.[key] };
}

export function memoryVariables(org: Record<string, Record<string, unknown>>): VariableSource {
  return { getVariable: async (scope: ReferenceScope, group, key) => (scope.env ? undefined : org[group]?.[key]) };
}

export interface CallbackCall {
  method: 'succeed' | 'fail' | 'heartbeat';
  args: unknown[];
}

/** TaskCallbacks that records every call; `answer` decides the outcome (default delivered). */
export function recordingCallbacks(answer: (method: CallbackCall['method']) => CallbackOutcome = () => 'delivered'): TaskCallbacks & { calls: CallbackCall[] } {
  const calls: CallbackCall[] = [];
  const call = (method: CallbackCall['method']) => async (...args: unknown[]) => {
    calls.push({ method, args });
    return answer(method);
  };
  return { calls, succeed: call('succeed'), fail: call('fail'), heartbeat: call('heartbeat') };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

export async function tempDir(prefix = 'stageline-stack-job-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export interface JobFixture {
  store: DirectoryArtifactStore;
  request: StackJobRequest;
  /** The stored (canonical, unresolved) manifest. */
  storedManifest: string;
  callbacks: TaskCallbacks & { calls: CallbackCall[] };
  logs: string[];
  /** Runs the job with these deps (defaults: the fixture's store, sources, callbacks, a fixed clock). */
  run(deps: Partial<StackJobDeps> & { provisionerFor: StackJobDeps['provisionerFor'] }): Promise<StackJobReport>;
  task(): Promise<RunTask>;
  /** Every object in the store, key → body. */
  objects(): Promise<Record<string, string>>;
}

/**
 * A store holding one run with one task (status APPLYING, as LaunchStackJob leaves it) and its
 * manifest; the job request that the launcher would pass.
 */
export async function jobFixture(options: { manifest?: JsonObject; secrets?: SecretSource; variables?: VariableSource; taskStatus?: TaskStatus } = {}): Promise<JobFixture> {
  const root = await tempDir();
  const store = new DirectoryArtifactStore(join(root, 'store'));
  const manifest = options.manifest ?? helloManifest();
  const { yaml, digest } = canonicalizeManifest(manifest, 'test manifest');
  await store.put(manifestKey(RUN_ID, digest), yaml);
  const run: RunRecord = {
    schemaVersion: 1,
    runId: RUN_ID,
    build: { org: ORG, service: SERVICE, commitSha: '1111111', branch: 'main', image: 'registry.example/hello:1111111', triggeredBy: 'dev@acme.io' },
    status: 'RUNNING',
    createdAt: NOW,
    updatedAt: NOW,
    tasks: [
      {
        index: 0,
        overlay: 'dev',
        env: ENV,
        kind: 'KubernetesDeployment',
        name: 'hello',
        digest,
        gated: false,
        status: options.taskStatus ?? 'APPLYING',
        startedAt: NOW,
        references: { secrets: ['database/password'], variables: ['app/log-level'] },
      },
    ],
    skipped: [],
    warnings: [],
  };
  await createRun(store, run);
  const request: StackJobRequest = {
    runId: RUN_ID,
    org: ORG,
    service: SERVICE,
    taskIndex: 0,
    overlay: 'dev',
    env: ENV,
    kind: 'KubernetesDeployment',
    name: 'hello',
    manifestKey: manifestKey(RUN_ID, digest),
    digest,
    taskToken: TOKEN,
  };
  const callbacks = recordingCallbacks();
  const logs: string[] = [];
  const secrets = options.secrets ?? memorySecrets({ database: { password: CANARY } });
  const variables = options.variables ?? memoryVariables({ app: { 'log-level': 'debug' } });
  return {
    store,
    request,
    storedManifest: yaml,
    callbacks,
    logs,
    run: (deps) =>
      executeStackJob(
        { store, secrets, variables, callbacks, clock: fixedClock(NOW), log: (line) => logs.push(line), ...deps },
        request,
      ),
    task: async () => (await readRun(store, RUN_ID))!.tasks[0]!,
    objects: async () => {
      const out: Record<string, string> = {};
      for (const key of await store.list('')) out[key] = await readFile(join(store.root, ...key.split('/')), 'utf8');
      return out;
    },
  };
}

/** A provisioner that records its calls and returns what it is told. */
export function fakeProvisioner(behaviour: Provisioner['provision'] = async () => ({ outputs: { url: 'https://hello.example' }, summary: 'done' })): Provisioner & {
  jobs: Parameters<Provisioner['provision']>[0][];
} {
  const jobs: Parameters<Provisioner['provision']>[0][] = [];
  return {
    jobs,
    provision: async (job, log) => {
      jobs.push(job);
      return behaviour(job, log);
    },
  };
}

/** Asserts `needle` occurs nowhere the runner could have leaked it. */
export function leaks(needle: string, places: { objects: Record<string, string>; logs: string[]; calls: CallbackCall[] }): string[] {
  const found: string[] = [];
  for (const [key, body] of Object.entries(places.objects)) if (key.includes(needle) || body.includes(needle)) found.push(`store object ${key}`);
  places.logs.forEach((line, index) => line.includes(needle) && found.push(`log line ${index}: ${line}`));
  places.calls.forEach((call, index) => JSON.stringify(call.args).includes(needle) && found.push(`callback ${index} (${call.method})`));
  return found;
}
