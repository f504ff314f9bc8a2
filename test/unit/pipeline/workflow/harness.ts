import type { JsonObject } from '../../../../lib/kustomize/json.js';
import { createRun, type BuildEvent, type RunRecord, type RunStatus, type RunTask, type TaskStatus } from '../../../../lib/pipeline/workflow/records.js';
import type { WorkflowTask } from '../../../../lib/pipeline/workflow/steps.js';
import type { ArtifactStore, PutConditions, StoredObject } from '../../../../lib/ports/artifact-store.js';
import type { ExecutionStarter } from '../../../../lib/ports/execution-starter.js';
import type { ApprovalNotification, Notifier } from '../../../../lib/ports/notifier.js';

/** Workflow unit-test helpers: a starter that records, a store with hooks, runs with tasks. */

export class RecordingStarter implements ExecutionStarter {
  readonly started: { name: string; input: JsonObject }[] = [];
  /** Names whose next start throws (then succeeds). */
  failOnce = new Set<string>();
  private readonly known = new Set<string>();

  async start(name: string, input: JsonObject): Promise<{ executionId: string; alreadyStarted: boolean }> {
    if (this.failOnce.delete(name)) throw new Error('ServiceUnavailable: Step Functions is having a bad day');
    const alreadyStarted = this.known.has(name);
    this.known.add(name);
    this.started.push({ name, input });
    return { executionId: `arn:aws:states:eu-west-1:111111111111:execution:sm:${name}`, alreadyStarted };
  }

  get names(): string[] {
    return this.started.map((entry) => entry.name);
  }
}

export interface StoreHooks {
  /** Runs after a successful put of `key` (before put returns to its caller). */
  afterPut?: (key: string, body: string) => Promise<void> | void;
  /** Runs after a get of `key` read the object (before get returns it). */
  afterGet?: (key: string, object: StoredObject | undefined) => Promise<void> | void;
  /** Throws instead of writing, for matching keys. */
  failPut?: (key: string, conditions: PutConditions | undefined) => Error | undefined;
}

/** A store that lets a test act at a precise point of another writer's sequence (the interleaving under test). */
export function hookedStore<S extends ArtifactStore>(inner: S, hooks: StoreHooks): S & { hooks: StoreHooks; gets: string[] } {
  const gets: string[] = [];
  const store = {
    ...inner,
    hooks,
    gets,
    async get(key: string) {
      gets.push(key);
      const object = await inner.get(key);
      await store.hooks.afterGet?.(key, object);
      return object;
    },
    async put(key: string, body: string, conditions?: PutConditions) {
      const failure = store.hooks.failPut?.(key, conditions);
      if (failure) throw failure;
      const result = await inner.put(key, body, conditions);
      await store.hooks.afterPut?.(key, body);
      return result;
    },
    list: (prefix: string) => inner.list(prefix),
    delete: (key: string) => inner.delete(key),
  };
  return store as S & { hooks: StoreHooks; gets: string[] };
}

export const build = (commitSha: string, overrides: Partial<BuildEvent> = {}): BuildEvent => ({
  org: 'acme',
  service: 'hello',
  commitSha,
  branch: 'main',
  image: `hello:${commitSha}`,
  triggeredBy: 'dev@acme.io',
  ...overrides,
});

export const ENVS = ['app-dev', 'app-staging', 'app-production', 'app-dr'] as const;

export function runTask(index: number, status: TaskStatus, extra: Partial<RunTask> = {}): RunTask {
  const env = ENVS[index]!;
  return {
    index,
    overlay: env.replace('app-', ''),
    env,
    kind: 'KubernetesDeployment',
    name: 'hello',
    digest: `${index}`.repeat(64),
    gated: env === 'app-production',
    status,
    references: { secrets: [], variables: [] },
    ...(env === 'app-production' ? { approvers: ['ops@acme.io', 'lead@acme.io'], minApprovals: 1 } : {}),
    ...extra,
  };
}

export function workflowTask(task: RunTask): WorkflowTask {
  return {
    index: task.index,
    overlay: task.overlay,
    env: task.env,
    kind: task.kind,
    name: task.name,
    digest: task.digest,
    manifestKey: `runs/x/manifests/${task.digest}.yaml`,
    gated: task.gated,
    stackJobTimeoutSeconds: 3600,
    ...(task.gated ? { approvalTimeoutSeconds: 3600 } : {}),
  };
}

export async function seedRun(store: ArtifactStore, runId: string, options: { status?: RunStatus; createdAt?: string; build?: BuildEvent; tasks?: RunTask[] } = {}): Promise<RunRecord> {
  const createdAt = options.createdAt ?? '2030-01-01T12:00:00.000Z';
  const run: RunRecord = {
    schemaVersion: 1,
    runId,
    build: options.build ?? build('abcdef0123'),
    status: options.status ?? 'RUNNING',
    createdAt,
    updatedAt: createdAt,
    tasks: options.tasks ?? [],
    skipped: [],
    warnings: [],
  };
  await createRun(store, run);
  return run;
}

export function recordingNotifier(): Notifier & { notifications: ApprovalNotification[] } {
  const notifications: ApprovalNotification[] = [];
  return {
    notifications,
    async approvalRequested(notification) {
      notifications.push(notification);
    },
  };
}
