import { isPreconditionFailed, type ArtifactStore } from '../../ports/artifact-store.js';
import { StagelineError } from '../../errors.js';
import { CorruptRecordError } from '../errors.js';
import type { ManifestReferences } from '../references.js';
import type { TaskIdentity } from '../deployment-tasks.js';
import type { SkippedOverlay } from '../resolve-manifests.js';
import { appendRunEvents, runEventsBetween } from './run-events.js';

/** The build-complete event's detail (DESIGN §5): what a run deploys. */
export interface BuildEvent {
  org: string;
  service: string;
  commitSha: string;
  branch: string;
  tag?: string;
  /** The image the build pushed. */
  image: string;
  /** Who pushed the commit; may not approve this run's gates. */
  triggeredBy: string;
  /** Not a new build: a retry, rollback or deliberate redeploy (lib/pipeline/workflow/redeploy.ts). */
  origin?: RunOrigin;
}

/** Why a run deploys a build again, and what it reuses. */
export interface RunOrigin {
  kind: 'retry' | 'rollback' | 'redeploy';
  /** retry: the run repeated; rollback: the run whose deployment is restored. */
  of?: string;
  /** retry: the first environment deployed again; rollback: the environment restored. */
  env?: string;
  /** rollback: the manifest digest restored. */
  digest?: string;
  /** When it was asked for: each request is a new run (the run id hashes the build event). */
  requestedAt: string;
}

/**
 * How two identities (an approver, who triggered a build) are compared everywhere: an email is
 * case-insensitive and surrounding blanks are never part of it, so ` Dev@Acme.io ` is dev@acme.io.
 * Separation of duties depends on this being one comparison for the page and the CLI.
 */
export const identityKey = (identity: string): string => identity.trim().toLowerCase();

/** Whether two identities name the same person (see {@link identityKey}). */
export const sameIdentity = (a: string, b: string): boolean => identityKey(a) === identityKey(b);

/**
 * QUEUED: created under `concurrency: queue` while an older run of the same service and branch is
 * active; nothing started yet. It becomes RUNNING when the runs before it have finished.
 */
export type RunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'SUPERSEDED';

export type TaskStatus =
  | 'PENDING'
  | 'WAITING_APPROVAL'
  | 'APPROVED'
  | 'APPLYING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'REJECTED'
  | 'TIMED_OUT'
  | 'CANCELLED'
  | 'SUPERSEDED';

export const FINAL_TASK_STATUSES: readonly TaskStatus[] = ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'CANCELLED', 'SUPERSEDED'];

/** One environment of a run, as `stageline status` shows it. */
export interface RunTask extends TaskIdentity {
  gated: boolean;
  status: TaskStatus;
  startedAt?: string;
  finishedAt?: string;
  /** One line: why it failed / what the stack job did / who approved. Never a secret. */
  detail?: string;
  stackJobId?: string;
  approvalId?: string;
  /** Gated tasks: who may approve, and how many must. */
  approvers?: string[];
  minApprovals?: number;
  references: ManifestReferences;
}

/** runs/<runId>/run.json */
export interface RunRecord {
  schemaVersion: 1;
  runId: string;
  build: BuildEvent;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** The newer run of the same service and branch that replaced this one. */
  supersededBy?: string;
  /** A queued run: the run it waited for when it was created (the newest older active run of its service and branch). */
  queuedBehind?: string;
  /**
   * When StartExecution accepted the run's execution. A RUNNING run without it and without tasks
   * was created but never started (StartExecution failed, or the trigger died): a repeated build
   * event starts it.
   */
  executionStartedAt?: string;
  /** Why the run stopped, for a failed run: the environment and a one-line reason. */
  failure?: { env?: string; error: string; cause: string };
  /** Empty until the tasks are created (the manifests resolve first). */
  tasks: RunTask[];
  skipped: SkippedOverlay[];
  warnings: string[];
}

/** runs/<runId>/cancel: a cancellation (or supersede) request; its presence is what counts. */
export interface CancelRequest {
  reason: 'cancelled' | 'superseded';
  by: string;
  at: string;
  supersededBy?: string;
}

export const runKey = (runId: string) => `runs/${runId}/run.json`;
export const cancelKey = (runId: string) => `runs/${runId}/cancel`;
export const taskKey = (runId: string, index: number, overlay: string) => `runs/${runId}/tasks/${index}-${overlay}.json`;
export const buildKey = (service: string, commitSha: string) => `builds/${service}/${commitSha}/build.json`;
export const buildSourcePrefix = (service: string, commitSha: string) => `builds/${service}/${commitSha}/source/`;
export const organizationKey = 'config/organization.yaml';

/** A build's identifiers as the store keys and the run id use them (start-pipeline checks the same). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const COMMIT_SHA = /^[0-9a-f]{7,64}$/;
/** C0 and C1 control characters, DEL: never part of a name, and raw escapes on a terminal. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** A build's service, commit, branch, image, tag or triggering identity is not usable. */
export class InvalidBuildError extends StagelineError {
  constructor(message: string, hint: string) {
    super('BUILD_INVALID', message, { hint });
  }
}

/**
 * Checks the identifiers of a build before anything keyed by them is written (builds/<service>/<commit>/…):
 * service and org are DNS labels, the commit is 7 to 64 lowercase hex digits, the branch 1 to 255
 * characters; none of the texts holds a control character. `where` names what the values came from.
 */
export function validateBuildIdentifiers(build: Partial<BuildEvent>, where: string | ((field: keyof BuildEvent) => string)): void {
  const fail = (field: keyof BuildEvent, value: string, expected: string, hint: string): never => {
    throw new InvalidBuildError(`${typeof where === 'string' ? where : where(field)}: ${field === 'commitSha' ? 'commit' : field} ${JSON.stringify(value)} is not valid: expected ${expected}`, hint);
  };
  if (build.org !== undefined && !DNS_LABEL.test(build.org)) fail('org', build.org, 'a DNS label (a-z, 0-9, -)', 'fix metadata.org in stageline.yaml');
  if (build.service !== undefined && (!DNS_LABEL.test(build.service) || build.service.length > 63)) {
    fail('service', build.service, 'a DNS label of at most 63 characters (a-z, 0-9, -)', 'fix metadata.name in stageline.yaml');
  }
  if (build.commitSha !== undefined && !COMMIT_SHA.test(build.commitSha)) {
    fail('commitSha', build.commitSha, 'a commit sha: 7 to 64 lowercase hex digits', 'pass the full or abbreviated sha, e.g. --commit $(git rev-parse HEAD)');
  }
  if (build.branch !== undefined && (build.branch.length === 0 || build.branch.length > 255 || CONTROL_CHARACTERS.test(build.branch) || build.branch.trim() !== build.branch)) {
    fail('branch', build.branch, '1 to 255 characters, no control characters, no surrounding spaces', 'pass the git branch name, e.g. --branch main');
  }
  for (const [field, value, max] of [['image', build.image, 1024], ['tag', build.tag, 255], ['triggeredBy', build.triggeredBy, 320]] as const) {
    if (value !== undefined && (value.length === 0 || value.length > max || CONTROL_CHARACTERS.test(value))) {
      fail(field, value, `1 to ${max} characters without control characters`, `check --${field === 'triggeredBy' ? 'triggered-by' : field}`);
    }
  }
}

/** The run does not exist in the store. */
export class RunNotFoundError extends StagelineError {
  constructor(runId: string) {
    super('RUN_NOT_FOUND', `run ${runId} not found in the store`, { hint: 'list runs with `stageline runs`' });
  }
}

const RUN_STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'SUPERSEDED'];
const TASK_STATUSES: readonly TaskStatus[] = ['PENDING', 'WAITING_APPROVAL', 'APPROVED', 'APPLYING', ...FINAL_TASK_STATUSES];

/** A JSON record of the store, parsed; anything that is not JSON is a CorruptRecordError naming `key`. */
export function parseJsonRecord(key: string, body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new CorruptRecordError(key, body.trim() === '' ? 'the file is empty' : `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The first way `value` is not a run record (what the code reading it relies on), or undefined.
 * Unknown extra fields are allowed: an older or newer Stageline may have written them.
 */
function runRecordProblem(value: unknown, runId: string | undefined): string | undefined {
  if (!isObject(value)) return 'not a JSON object';
  if (value.schemaVersion !== 1) return `schemaVersion is ${JSON.stringify(value.schemaVersion)}, expected 1`;
  if (typeof value.runId !== 'string') return 'runId is not a string';
  if (runId !== undefined && value.runId !== runId) return `runId is ${JSON.stringify(value.runId)}, not the run's folder ${JSON.stringify(runId)}`;
  if (!isObject(value.build)) return 'build is not an object';
  for (const field of ['org', 'service', 'commitSha', 'branch', 'image', 'triggeredBy'] as const) {
    if (typeof value.build[field] !== 'string') return `build.${field} is not a string`;
  }
  if (!RUN_STATUSES.includes(value.status as RunStatus)) return `status ${JSON.stringify(value.status)} is not a run status`;
  for (const field of ['createdAt', 'updatedAt'] as const) if (typeof value[field] !== 'string') return `${field} is not a string`;
  if (!Array.isArray(value.tasks)) return 'tasks is not a list';
  for (const [position, task] of value.tasks.entries()) {
    if (!isObject(task)) return `tasks[${position}] is not an object`;
    if (typeof task.index !== 'number' || typeof task.overlay !== 'string' || typeof task.env !== 'string') return `tasks[${position}] lacks its index, overlay or env`;
    if (!TASK_STATUSES.includes(task.status as TaskStatus)) return `tasks[${position}].status ${JSON.stringify(task.status)} is not a task status`;
  }
  if (!Array.isArray(value.skipped)) return 'skipped is not a list';
  if (!Array.isArray(value.warnings)) return 'warnings is not a list';
  return undefined;
}

/** run.json text as a RunRecord; a CorruptRecordError naming the file when it is not one. */
export function parseRunRecord(key: string, body: string, runId?: string): RunRecord {
  const value = parseJsonRecord(key, body);
  const problem = runRecordProblem(value, runId);
  if (problem !== undefined) throw new CorruptRecordError(key, problem);
  return value as RunRecord;
}

const runIdOfKey = (key: string) => /^runs\/([^/]+)\/run\.json$/.exec(key)?.[1];

/** The run, undefined when there is none; a CorruptRecordError (naming runs/<runId>/run.json) when its record is broken. */
export async function readRun(store: ArtifactStore, runId: string): Promise<RunRecord | undefined> {
  const key = runKey(runId);
  const object = await store.get(key);
  return object ? parseRunRecord(key, object.body, runId) : undefined;
}

export async function requireRun(store: ArtifactStore, runId: string): Promise<RunRecord> {
  const run = await readRun(store, runId);
  if (!run) throw new RunNotFoundError(runId);
  return run;
}

/** Creates run.json once; false when it already exists (a repeated trigger). */
export async function createRun(store: ArtifactStore, run: RunRecord): Promise<boolean> {
  try {
    await store.put(runKey(run.runId), serialize(run), { ifNoneMatch: '*' });
    await recordRunEvents(store, undefined, run);
    return true;
  } catch (error) {
    if (isPreconditionFailed(error)) return false;
    throw error;
  }
}

/**
 * Read-modify-write of run.json with compare-and-swap: several writers (the workflow steps, a
 * runner, a newer run superseding this one, `stageline cancel`) may update it concurrently.
 */
export async function updateRun(store: ArtifactStore, runId: string, mutate: (run: RunRecord) => void, now: Date): Promise<RunRecord> {
  return (await updateRunAndTasksIf(store, runId, () => true, mutate, now))!;
}

/**
 * {@link updateRun} (task files included) guarded like {@link updateRunIf}: applies `mutate` only
 * if `when(run)` holds on the record as stored at the moment of the write; undefined, and nothing
 * written, when it does not.
 */
export async function updateRunAndTasksIf(
  store: ArtifactStore,
  runId: string,
  when: (run: RunRecord) => boolean,
  mutate: (run: RunRecord) => void,
  now: Date,
): Promise<RunRecord | undefined> {
  return compareAndSwapRun(store, runId, when, mutate, now, { taskFiles: true });
}

/**
 * Compare-and-swap of run.json guarded by `when`: applies `mutate` only if `when(run)` holds on
 * the record as stored at the moment of the write; undefined when it does not (someone else
 * changed the run first). Several writers racing on the same transition: exactly one wins.
 * Run-level fields only: the task files are not rewritten.
 */
export async function updateRunIf(
  store: ArtifactStore,
  runId: string,
  when: (run: RunRecord) => boolean,
  mutate: (run: RunRecord) => void,
  now: Date,
): Promise<RunRecord | undefined> {
  return compareAndSwapRun(store, runId, when, mutate, now, { taskFiles: false });
}

/** The one read-check-mutate-write loop of run.json (If-Match, retried on a lost race); with `taskFiles`, the changed tasks' files follow. */
async function compareAndSwapRun(
  store: ArtifactStore,
  runId: string,
  when: (run: RunRecord) => boolean,
  mutate: (run: RunRecord) => void,
  now: Date,
  options: { taskFiles: boolean },
): Promise<RunRecord | undefined> {
  for (let attempt = 0; ; attempt++) {
    const object = await store.get(runKey(runId));
    if (!object) throw new RunNotFoundError(runId);
    const run = parseRunRecord(runKey(runId), object.body, runId);
    if (!when(run)) return undefined;
    const previous = structuredClone(run);
    const before = run.tasks.map((task) => JSON.stringify(task));
    mutate(run);
    run.updatedAt = now.toISOString();
    try {
      await store.put(runKey(runId), serialize(run), { ifMatch: object.etag });
      if (options.taskFiles) await writeTaskFiles(store, run, run.tasks.filter((task, index) => JSON.stringify(task) !== before[index]));
      await recordRunEvents(store, previous, run);
      return run;
    } catch (error) {
      if (!isPreconditionFailed(error) || attempt >= 20) throw error;
    }
  }
}

/**
 * Appends the events of one run.json write (see run-events.ts). Only the writer whose
 * compare-and-swap won gets here, so each change is emitted once. Best effort: the change is
 * already recorded, and failing the step for its event would make a retry see no change at all.
 */
async function recordRunEvents(store: ArtifactStore, before: RunRecord | undefined, after: RunRecord): Promise<void> {
  try {
    await appendRunEvents(store, runEventsBetween(before, after, after.updatedAt));
  } catch {
    // The run record is the source of truth; `stageline status` still shows the change.
  }
}

/** Records that StartExecution accepted the run's execution (see RunRecord.executionStartedAt). */
export async function markExecutionStarted(store: ArtifactStore, runId: string, now: Date): Promise<void> {
  await updateRunIf(store, runId, (run) => run.executionStartedAt === undefined, (run) => {
    run.executionStartedAt = now.toISOString();
  }, now);
}

/** A RUNNING run that was created but whose execution never started: no recorded start, no tasks. */
export const neverStarted = (run: RunRecord) => run.status === 'RUNNING' && run.executionStartedAt === undefined && run.tasks.length === 0;

/** Applies `mutate` to one task of the run. */
export async function updateTask(
  store: ArtifactStore,
  runId: string,
  index: number,
  mutate: (task: RunTask, run: RunRecord) => void,
  now: Date,
): Promise<RunRecord> {
  return updateRun(store, runId, (run) => {
    const task = run.tasks[index];
    if (!task) throw new StagelineError('TASK_NOT_FOUND', `run ${runId} has no task ${index}`);
    mutate(task, run);
  }, now);
}

/** runs/<runId>/tasks/<index>-<overlay>.json mirror each task, so one environment's record can be read alone. */
async function writeTaskFiles(store: ArtifactStore, run: RunRecord, changed: readonly RunTask[]): Promise<void> {
  await Promise.all(changed.map((task) => store.put(taskKey(run.runId, task.index, task.overlay), serialize({ runId: run.runId, ...task }))));
}

/**
 * The run's cancel request. Its presence is what counts: an unreadable one (cut off by a crash)
 * still cancels, as a plain cancellation by an unknown operator, rather than failing every reader.
 */
export async function readCancelRequest(store: ArtifactStore, runId: string): Promise<CancelRequest | undefined> {
  const object = await store.get(cancelKey(runId));
  if (!object) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(object.body) as unknown;
  } catch {
    value = undefined;
  }
  if (isObject(value) && (value.reason === 'cancelled' || value.reason === 'superseded') && typeof value.by === 'string' && typeof value.at === 'string') return value as unknown as CancelRequest;
  return { reason: 'cancelled', by: `an unknown operator (${cancelKey(runId)} is unreadable)`, at: typeof (value as { at?: unknown } | undefined)?.at === 'string' ? (value as { at: string }).at : '' };
}

/** A run whose run.json cannot be read as one (`stageline runs` marks it CORRUPT). */
export interface CorruptRun {
  runId: string;
  key: string;
  problem: string;
}

/**
 * Every readable run in the store, newest first. A corrupt run.json is left out (one broken record
 * must not block every listing, and with it every deploy); {@link listRunsAndCorrupt} reports them.
 * The workflow reads one service's runs: {@link listRunsOfService}.
 */
export async function listRuns(store: ArtifactStore): Promise<RunRecord[]> {
  return (await readRunsUnder(store, 'runs/')).runs;
}

/** `stageline runs`: the readable runs, newest first, and the corrupt ones, by run id. */
export async function listRunsAndCorrupt(store: ArtifactStore): Promise<{ runs: RunRecord[]; corrupt: CorruptRun[] }> {
  return readRunsUnder(store, 'runs/');
}

/**
 * The runs of one service, newest first. Run ids start with `<service>-` (the execution name,
 * see executionNameFor), so only that prefix is listed; the prefix of `web` also matches `web-api`,
 * hence the filter on the build's service.
 */
export async function listRunsOfService(store: ArtifactStore, service: string): Promise<RunRecord[]> {
  return (await readRunsUnder(store, `runs/${runIdPrefix(service)}`)).runs.filter((run) => run.build.service === service);
}

/** How every run id of `service` starts: the service name (at most 50 characters) and a dash. */
export const runIdPrefix = (service: string) => `${service.slice(0, 50)}-`;

async function readRunsUnder(store: ArtifactStore, prefix: string): Promise<{ runs: RunRecord[]; corrupt: CorruptRun[] }> {
  const keys = (await store.list(prefix)).filter((key) => runIdOfKey(key) !== undefined);
  const runs: RunRecord[] = [];
  const corrupt: CorruptRun[] = [];
  await Promise.all(
    keys.map(async (key) => {
      const runId = runIdOfKey(key)!;
      const body = (await store.get(key))?.body;
      if (body === undefined) return;
      try {
        runs.push(parseRunRecord(key, body, runId));
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error;
        corrupt.push({ runId, key, problem: error.problem });
      }
    }),
  );
  runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (a.runId < b.runId ? -1 : 1));
  corrupt.sort((a, b) => (a.runId < b.runId ? -1 : 1));
  return { runs, corrupt };
}

export function serialize(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
