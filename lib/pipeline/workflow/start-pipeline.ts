import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { safeParse } from '../config/zod.js';
import { ConfigError, StagelineError, isStagelineError } from '../../errors.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { ExecutionStarter } from '../../ports/execution-starter.js';
import type { TaskCallbacks } from '../../ports/task-callbacks.js';
import { requestCancel } from './cancellation.js';
import { laneOf, predecessorOf, startNextQueued } from './queue.js';
import { createRun, listRunsOfService, markExecutionStarted, neverStarted, readCancelRequest, requireRun, runIdPrefix, updateRunIf, type BuildEvent, type RunRecord } from './records.js';
import type { ServiceConfig } from '../config/service.js';
import { loadBuildSource, loadService } from './source-tree.js';
import type { ExecutionInput } from './steps.js';

type Concurrency = ServiceConfig['spec']['concurrency'];

const buildEventSchema = z.strictObject({
  org: z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a DNS label' })),
  service: z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a DNS label' }), z.maxLength(63)),
  commitSha: z.string().check(z.regex(/^[0-9a-f]{7,64}$/, { error: 'expected a hex commit sha (7 to 64 characters)' })),
  branch: z.string().check(z.minLength(1), z.maxLength(255)),
  tag: z.optional(z.string().check(z.minLength(1))),
  image: z.string().check(z.minLength(1), z.maxLength(1024)),
  triggeredBy: z.string().check(z.minLength(1), z.maxLength(320)),
  /** Who sent it, as AWS can verify: a presigned STS GetCallerIdentity bound to the record (see {@link BuildAuthenticator}). */
  callerProof: z.optional(z.string().check(z.minLength(1), z.maxLength(8192))),
  /** A retry, rollback or redeploy of an earlier run (see redeploy.ts). */
  origin: z.optional(
    z.strictObject({
      kind: z.enum(['retry', 'rollback', 'redeploy']),
      of: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,80}$/, { error: 'expected a run id' }))),
      env: z.optional(z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a DNS label' }))),
      digest: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/, { error: 'expected a sha256 hex digest' }))),
      requestedAt: z.iso.datetime(),
    }),
  ),
});

/** The principal AWS authenticated as the sender of a build record. */
export interface AuthenticatedCaller {
  /** The caller's ARN, as STS returned it. */
  arn: string;
  account: string;
  /** What the run records as `triggeredBy` (the approvers' "not the person who triggered" rule). */
  triggeredBy: string;
}

/**
 * Verifies a build record's `callerProof` (the AWS adapter: STS). The deployed stage always has
 * one, and then `triggeredBy` is the authenticated caller, never the payload's word; the local
 * runtime has none (the operator's own store, nobody else writes to it).
 */
export interface BuildAuthenticator {
  /** The caller, or a {@link BuildNotAuthenticatedError}; any other error is transient (retried). */
  authenticate(proof: string | undefined, recordDigest: string): Promise<AuthenticatedCaller>;
}

/** A build record whose sender could not be authenticated: no run is created. */
export class BuildNotAuthenticatedError extends StagelineError {
  constructor(what: string, hint: string) {
    super('BUILD_NOT_AUTHENTICATED', `start-pipeline: refused the build: the record ${what}`, { hint });
  }
}

/**
 * sha256 (hex) of a build record as its `callerProof` signs it: its fields but the proof, keys
 * sorted, as JSON.
 */
export function buildRecordDigest(record: object): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(record).filter(([key, value]) => key !== 'callerProof' && value !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return createHash('sha256').update(canonical).digest('hex');
}

export interface StartDeps {
  store: ArtifactStore;
  clock: Clock;
  starter: ExecutionStarter;
  callbacks: TaskCallbacks;
  /** Binds `triggeredBy` to the identity AWS authenticated (the Lambda always passes one). */
  authenticate?: BuildAuthenticator;
  /** Where a line about the build goes (the function's log). */
  log?: (line: string) => void;
}

export interface StartResult {
  runId: string;
  /**
   * false: a run for this exact build event exists already (a repeated event starts nothing).
   * true: the run was created (and started, unless `queued`), or a repeated event started a run
   * an earlier attempt created but could not start.
   */
  started: boolean;
  /** Older runs of the same service and branch this one supersedes. */
  superseded: string[];
  /**
   * `concurrency: queue`: true when the run was created QUEUED (another run of the same service
   * and branch is active); it starts when the runs before it have finished.
   */
  queued: boolean;
  /** A queued run: the run it waits for (the newest older active run of its service and branch). */
  queuedBehind?: string;
}

/** The object key of a build-complete record: `builds/<service>/<commitSha>/build.json` (DESIGN §4). */
const BUILD_RECORD_KEY = /^builds\/[^/]+\/[^/]+\/build\.json$/;

/** An S3 event for another object under builds/: nothing to start (see {@link triggerPipeline}). */
export interface IgnoredTrigger {
  ignored: true;
  key: string;
}

export interface TriggerDeps extends StartDeps {
  /** Where the one line about an ignored event goes (the function's log). */
  log: (line: string) => void;
}

/**
 * The start-pipeline function's entry. The S3 rule matches `builds/*\/*\/build.json`, and
 * EventBridge's `*` also matches `/`: a nested `builds/a/b/c/build.json` (or an empty segment)
 * arrives too. Such an event is ignored quietly — one log line, no error (an error would be retried
 * by the asynchronous invocation and land in its failure destination), nothing read or started.
 * Every other event goes to {@link startPipeline}.
 */
export async function triggerPipeline(deps: TriggerDeps, event: unknown): Promise<StartResult | IgnoredTrigger> {
  const key = s3ObjectKey(event);
  if (key !== undefined && key !== '' && !BUILD_RECORD_KEY.test(key)) {
    deps.log(`start-pipeline: ignored S3 object ${key}: not a builds/<service>/<commit>/build.json`);
    return { ignored: true, key };
  }
  return startPipeline(deps, event);
}

/**
 * The trigger: validates a build-complete event (EventBridge `Build Completed`, or S3 `Object
 * Created` for builds/<service>/<commit>/build.json), derives the execution name from the build
 * so that a repeated event starts nothing, applies the service's concurrency policy, and starts
 * the state machine.
 */
export async function startPipeline(deps: StartDeps, event: unknown): Promise<StartResult> {
  const received = await buildFromEvent(deps.store, event);
  const { build, warnings } = await authenticatedBuild(deps, received);
  const runId = executionNameFor(build);
  const now = deps.clock.now().toISOString();
  // Read the service's policy before anything is written: a broken upload starts nothing.
  const service = loadService(await loadBuildSource(deps.store, build.service, build.commitSha));
  const concurrency = service.spec.concurrency;
  // Under `queue` every run is created QUEUED and only the compare-and-swap in startNextQueued
  // makes one RUNNING, so a run never starts beside another of its lane, however events interleave.
  const run: RunRecord = { schemaVersion: 1, runId, build, status: concurrency === 'queue' ? 'QUEUED' : 'RUNNING', createdAt: now, updatedAt: now, tasks: [], skipped: [], warnings };
  if (!(await createRun(deps.store, run))) return startIfNeverStarted(deps, runId, concurrency);

  if (concurrency === 'queue') return enqueue(deps, run);

  const superseded = await supersedeOlderRuns(deps, run, concurrency);
  await startExecution(deps, run);
  return { runId, started: true, superseded, queued: false };
}

/**
 * A repeated event (delivery is at least once, and a failed invocation is retried): usually a
 * no-op. But the first attempt may have created the run and failed before its execution started
 * (StartExecution threw, the function timed out): a RUNNING run that never started is started now
 * (StartExecution is idempotent by name), and a QUEUED run whose lane is idle (its predecessor
 * ended without starting the next run) gets its lane moving again.
 */
async function startIfNeverStarted(deps: StartDeps, runId: string, concurrency: Concurrency): Promise<StartResult> {
  const existing = await requireRun(deps.store, runId);
  if (neverStarted(existing)) {
    // A run that was itself superseded or cancelled meanwhile supersedes nothing; its execution stops at its first environment.
    const stopped = await readCancelRequest(deps.store, runId);
    const superseded = stopped ? [] : await supersedeOlderRuns(deps, existing, concurrency);
    await startExecution(deps, existing);
    return { runId, started: true, superseded, queued: false };
  }
  if (existing.status === 'QUEUED' && (await startNextQueued(deps, laneOf(existing))) === runId) {
    return { runId, started: true, superseded: [], queued: false };
  }
  return { runId, started: false, superseded: [], queued: false };
}

/** `concurrency: supersede`: every older RUNNING run of the same service and branch is superseded by `run`. */
async function supersedeOlderRuns(deps: StartDeps, run: RunRecord, concurrency: Concurrency): Promise<string[]> {
  if (concurrency !== 'supersede') return [];
  const { build } = run;
  const superseded: string[] = [];
  for (const older of await listRunsOfService(deps.store, build.service)) {
    if (older.runId === run.runId || older.status !== 'RUNNING') continue;
    if (older.build.branch !== build.branch || older.createdAt > run.createdAt) continue;
    try {
      await requestCancel(deps, older.runId, { reason: 'superseded', by: build.triggeredBy, supersededBy: run.runId });
    } catch (error) {
      // It finished since it was listed: nothing to supersede.
      if (isStagelineError(error) && error.code === 'RUN_FINISHED') continue;
      throw error;
    }
    superseded.push(older.runId);
  }
  return superseded;
}

async function startExecution(deps: StartDeps, run: RunRecord): Promise<void> {
  const input: ExecutionInput = { runId: run.runId, build: run.build };
  await deps.starter.start(run.runId, input as unknown as Record<string, never>);
  // Best effort: without the mark, a repeated event calls StartExecution again, which is a no-op.
  await markExecutionStarted(deps.store, run.runId, deps.clock.now()).catch(() => undefined);
}

/**
 * A run just created QUEUED: start the oldest queued run of its lane if none is running (this
 * one, when its lane is idle); otherwise it stays QUEUED and records the run it waits for.
 */
async function enqueue(deps: StartDeps, run: RunRecord): Promise<StartResult> {
  const { runId, build } = run;
  await startNextQueued(deps, { service: build.service, branch: build.branch });
  const current = await requireRun(deps.store, runId);
  if (current.status !== 'QUEUED') return { runId, started: true, superseded: [], queued: false };
  const behind = predecessorOf(await listRunsOfService(deps.store, build.service), current);
  if (behind) {
    await updateRunIf(deps.store, runId, (record) => record.status === 'QUEUED', (record) => {
      record.queuedBehind = behind.runId;
    }, deps.clock.now());
  }
  return { runId, started: true, superseded: [], queued: true, ...(behind ? { queuedBehind: behind.runId } : {}) };
}

/**
 * The build as the run records it. With an authenticator (AWS), the proof is checked before
 * anything is read or written, and `triggeredBy` becomes the authenticated caller; a record that
 * named someone else keeps its claim in a warning only. The proof itself is never stored in the run.
 */
async function authenticatedBuild(deps: StartDeps, received: ReceivedBuild): Promise<{ build: BuildEvent; warnings: string[] }> {
  const { callerProof, ...build } = received;
  if (!deps.authenticate) return { build, warnings: [] };
  const caller = await deps.authenticate.authenticate(callerProof, buildRecordDigest(build));
  const warnings = build.triggeredBy === caller.triggeredBy ? [] : [`the build record named ${JSON.stringify(build.triggeredBy)} as triggeredBy; the run records the caller AWS authenticated: ${caller.triggeredBy}`];
  for (const warning of warnings) deps.log?.(`start-pipeline: ${build.service} ${build.commitSha.slice(0, 12)}: ${warning}`);
  return { build: { ...build, triggeredBy: caller.triggeredBy }, warnings };
}

type ReceivedBuild = BuildEvent & { callerProof?: string };

/** `<service>-<commit12>-<digest12>`: the same build event always names the same execution (≤ 80 characters). */
export function executionNameFor(build: BuildEvent): string {
  // A record's callerProof (signed anew at each publication) is not part of the build it names.
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(build).filter(([key]) => key !== 'callerProof').sort(([a], [b]) => a.localeCompare(b))));
  const digest = createHash('sha256').update(canonical).digest('hex').slice(0, 12);
  return `${runIdPrefix(build.service)}${build.commitSha.slice(0, 12)}-${digest}`;
}

async function buildFromEvent(store: ArtifactStore, event: unknown): Promise<ReceivedBuild> {
  const envelope = safeParse(z.looseObject({ source: z.optional(z.string()), 'detail-type': z.optional(z.string()), detail: z.unknown() }), event);
  if (!envelope.success) throw new ConfigError('start-pipeline: expected an EventBridge event with a detail object');
  const { source, detail } = envelope.data;
  const detailType = envelope.data['detail-type'];
  if (isS3Event(source, detailType)) {
    const objectKey = s3ObjectKey(event) ?? '';
    if (!BUILD_RECORD_KEY.test(objectKey)) {
      throw new ConfigError(`start-pipeline: S3 event for ${objectKey || '(no key)'} is not a builds/<service>/<commit>/build.json`);
    }
    const object = await store.get(objectKey);
    if (!object) throw new ConfigError(`start-pipeline: ${objectKey} is gone from the bucket`);
    return validateBuild(safeJson(object.body, objectKey), objectKey);
  }
  if (detailType !== 'Build Completed') {
    throw new ConfigError(`start-pipeline: unexpected event detail-type ${JSON.stringify(detailType)}`, { hint: 'send source "stageline.build", detail-type "Build Completed"' });
  }
  return validateBuild(detail, 'event detail');
}

function isS3Event(source: string | undefined, detailType: string | undefined): boolean {
  return source === 'aws.s3' || detailType === 'Object Created';
}

/** The (decoded) object key of an S3 `Object Created` event; undefined for any other event, '' when it has none. */
function s3ObjectKey(event: unknown): string | undefined {
  const envelope = safeParse(z.looseObject({ source: z.optional(z.string()), 'detail-type': z.optional(z.string()), detail: z.unknown() }), event);
  if (!envelope.success || !isS3Event(envelope.data.source, envelope.data['detail-type'])) return undefined;
  const key = safeParse(z.looseObject({ object: z.looseObject({ key: z.string() }) }), envelope.data.detail);
  if (!key.success) return '';
  try {
    return decodeURIComponent(key.data.object.key.replace(/\+/g, ' '));
  } catch {
    return key.data.object.key; // not URL-encoded after all (a literal "%")
  }
}

function validateBuild(value: unknown, where: string): ReceivedBuild {
  const parsed = safeParse(buildEventSchema, value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join('.') || '(root)';
  throw new ConfigError(`${where}: ${path}: ${issue.message}`, { hint: 'detail: { org, service, commitSha, branch, tag?, image, triggeredBy, callerProof }' });
}

function safeJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`${where}: not valid JSON`);
  }
}

