import { isJsonObject } from '../../kustomize/json.js';
import { StagelineError } from '../../errors.js';
import { isPreconditionFailed, type ArtifactStore } from '../../ports/artifact-store.js';
import type { ProcessLiveness, ProcessOwner, StackJobRequest } from '../../ports/stack-job-launcher.js';
import { FINAL_TASK_STATUSES, readRun, serialize } from '../workflow/records.js';
import { environmentLockKey } from './keys.js';

/** How often a stack job waiting for an environment's lease looks at it again, when not told otherwise. */
export const DEFAULT_LEASE_POLL_MS = 1_000;

/** How often the holder renews its lease (`heartbeatAt`), when not told otherwise. */
export const DEFAULT_LEASE_HEARTBEAT_MS = 5_000;

/**
 * A lease whose holder is on another machine (or recorded no owner) and has not renewed it for
 * this long is stale: its runner is gone. On the holder's own machine the process table decides
 * instead (see {@link staleBecause}).
 */
export const LEASE_STALE_MS = 60_000;

/** The body of `locks/<org>/<env>/<service>.json`: which run's task is applying the service to the environment. */
export interface LeaseHolder {
  runId: string;
  taskIndex: number;
  digest: string;
  acquiredAt: string;
  /**
   * The fence: a random token per acquisition. Recording a result (`deployed/…`, outputs, the task's
   * final status) first rewrites the lock with compare-and-swap on the etag this holder last
   * wrote, so a job whose lease was taken over records nothing. Absent in locks of older versions.
   */
  token?: string;
  /** The runner holding it (host and pid). */
  owner?: ProcessOwner;
  /** The process group of the provisioner command running now, if any. */
  processGroup?: number;
  /** When the holder last renewed the lease. */
  heartbeatAt?: string;
  /** Set by the fence: the holder is recording its result. */
  recordingAt?: string;
}

/** A lease this job holds: the lock's key and the etag and body it wrote last. */
export interface EnvironmentLease {
  key: string;
  etag: string;
  body: string;
  holder: LeaseHolder;
  /** It was held by another run when the job first looked (the job waited for it). */
  waited: boolean;
}

/** The lease is no longer this job's: it was taken over (the job was thought dead) or removed. */
export class LeaseLostError extends StagelineError {
  constructor(env: string, key: string, current: LeaseHolder | undefined) {
    const by = current ? `run ${current.runId} task ${current.taskIndex} holds it now` : 'it was removed';
    super('LEASE_LOST', `the lease on ${env} (${key}) is no longer this job's: ${by}; nothing recorded`, {
      hint: 'another run took the environment over (this job was thought dead); deploy again if this commit must win',
    });
  }
}

export interface AcquireLeaseOptions {
  store: ArtifactStore;
  log: (line: string) => void;
  /** Milliseconds between two looks at a lease held by another run. */
  pollMs: number;
  now: () => Date;
  /** This machine's processes: a holder on this machine whose processes are all gone is stale at once. */
  liveness?: ProcessLiveness;
  /** Who this job is (recorded in the lock). Default: `liveness.self()`. */
  owner?: ProcessOwner;
  /** Default {@link LEASE_STALE_MS}. */
  staleAfterMs?: number;
  /**
   * Called after each wait (between two looks at the lease): the runner heartbeats there, and
   * throws to stop waiting (its step closed).
   */
  whileWaiting: () => Promise<void>;
}

/**
 * Takes the per-environment lease before a stack job resolves or applies anything, so that two
 * runs of one service (`concurrency: supersede` / `parallel`) never provision the same environment
 * at once:
 *
 * - no lock: create it (`If-None-Match: *`);
 * - a lock of this same run (a retried step, an earlier task of the run): take it over;
 * - a lock of another run whose task is final (SUCCEEDED, FAILED, …, CANCELLED), or whose run or
 *   task is missing, or a lock that cannot be read: it is stale — take it over with
 *   compare-and-swap (`If-Match` on the etag it was read with);
 * - otherwise wait `pollMs`, call `whileWaiting`, and look again.
 *
 * A lost race (another writer between the read and the conditional write) just looks again.
 */
export async function acquireEnvironmentLease(options: AcquireLeaseOptions, request: StackJobRequest): Promise<EnvironmentLease> {
  const { store, log } = options;
  const key = environmentLockKey(request.org, request.env, request.service);
  const acquiredAt = options.now().toISOString();
  const owner = options.owner ?? options.liveness?.self();
  const mine: LeaseHolder = {
    runId: request.runId,
    taskIndex: request.taskIndex,
    digest: request.digest,
    acquiredAt,
    token: newToken(),
    ...(owner ? { owner } : {}),
    heartbeatAt: acquiredAt,
  };
  const body = serialize(mine);
  let announced: string | undefined;
  let waited = false;
  for (;;) {
    const current = await store.get(key);
    if (current === undefined) {
      try {
        const { etag } = await store.put(key, body, { ifNoneMatch: '*' });
        log(`lease on ${request.env} acquired (${key})`);
        return { key, etag, body, holder: mine, waited };
      } catch (error) {
        if (!isPreconditionFailed(error)) throw error;
        continue; // another job created it first: look at it
      }
    }

    const holder = parseHolder(current.body);
    const takeOver =
      holder === undefined
        ? 'the lock cannot be read'
        : holder.runId === request.runId && holder.taskIndex === request.taskIndex
          ? await sameTaskTakeOver(holder, options)
          : holder.runId === request.runId
            ? 'it is held by this run'
            : await staleBecause(store, holder, options.now(), options.liveness, options.staleAfterMs ?? LEASE_STALE_MS);
    if (takeOver !== undefined) {
      try {
        const { etag } = await store.put(key, body, { ifMatch: current.etag });
        const who = holder === undefined ? '' : ` from run ${holder.runId} task ${holder.taskIndex}`;
        log(`lease on ${request.env} taken over${who} (${takeOver})`);
        return { key, etag, body, holder: mine, waited };
      } catch (error) {
        if (!isPreconditionFailed(error)) throw error;
        continue; // released or taken over meanwhile: look again
      }
    }

    const holderRun = holder!.runId;
    if (announced !== holderRun) {
      announced = holderRun;
      waited = true;
      log(`waiting for run ${holderRun} to finish applying ${request.env}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    await options.whileWaiting();
  }
}

/**
 * Rewrites this job's lock with compare-and-swap on the etag it wrote last (`changes` merged in,
 * `heartbeatAt` now): the lease is renewed, and proven still this job's. Throws
 * {@link LeaseLostError} when it was taken over or removed meanwhile.
 */
export async function renewEnvironmentLease(store: ArtifactStore, lease: EnvironmentLease, env: string, now: Date, changes: Partial<LeaseHolder> = {}): Promise<EnvironmentLease> {
  const holder: LeaseHolder = { ...lease.holder, ...changes, heartbeatAt: now.toISOString() };
  if (changes.processGroup === undefined && 'processGroup' in changes) delete holder.processGroup;
  const body = serialize(holder);
  try {
    const { etag } = await store.put(lease.key, body, { ifMatch: lease.etag });
    return { ...lease, etag, body, holder };
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    const current = await store.get(lease.key).catch(() => undefined);
    throw new LeaseLostError(env, lease.key, current ? parseHolder(current.body) : undefined);
  }
}

/**
 * The fence, passed right before a job records its result: the lock is rewritten (compare-and-swap)
 * with `recordingAt`. A job that gets past it holds the lease; one that does not records nothing.
 */
export function fenceEnvironmentLease(store: ArtifactStore, lease: EnvironmentLease, env: string, now: Date): Promise<EnvironmentLease> {
  return renewEnvironmentLease(store, lease, env, now, { recordingAt: now.toISOString() });
}

/**
 * Removes the lease if it is still this job's (same etag, same body); a lease taken over meanwhile
 * is left alone. Called once no process of the job is left (the provisioner settles only then).
 * Never throws: a lease left behind is stale as soon as this job's processes are gone.
 */
export async function releaseEnvironmentLease(store: ArtifactStore, lease: EnvironmentLease, env: string, log: (line: string) => void): Promise<void> {
  try {
    const current = await store.get(lease.key);
    if (current === undefined) return;
    if (current.etag !== lease.etag || current.body !== lease.body) {
      log(`lease on ${env} is no longer this job's (taken over); left as is`);
      return;
    }
    await store.delete(lease.key);
    log(`lease on ${env} released`);
  } catch (error) {
    log(`lease on ${env} not released (it is stale once this job's processes are gone): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Why another run's lease may be taken over, or `undefined` while a process of its job may still
 * be alive. A lease is free only when no process of the job is left:
 *
 * - holder on this machine (`liveness` can look): stale once its runner and its provisioner's
 *   process group are both gone, whatever its task says; never while one of them is alive;
 * - holder elsewhere (or a lock without an owner): stale when its task is final or its run or task
 *   is missing (the workflow ended it), or when it has not renewed the lease for `staleAfterMs`.
 */
export async function staleBecause(store: ArtifactStore, holder: LeaseHolder, now: Date, liveness: ProcessLiveness | undefined, staleAfterMs: number): Promise<string | undefined> {
  const owner = holder.owner;
  if (owner && liveness) {
    const runner = liveness.isAlive(owner);
    if (runner !== undefined) {
      const group = holder.processGroup === undefined ? false : liveness.isGroupAlive(owner.host, holder.processGroup);
      if (runner || group) return undefined;
      return `its runner (pid ${owner.pid}) and its commands are gone`;
    }
  }
  const beat = holder.heartbeatAt ? Date.parse(holder.heartbeatAt) : NaN;
  if (!Number.isNaN(beat) && now.getTime() - beat > staleAfterMs) return `not renewed for ${Math.round((now.getTime() - beat) / 1000)} s`;
  let run: Awaited<ReturnType<typeof readRun>>;
  try {
    run = await readRun(store, holder.runId);
  } catch (error) {
    // A corrupt run record must not block every later deploy of the environment.
    if (error instanceof StagelineError) return `the record of run ${holder.runId} cannot be read (${error.message})`;
    throw error;
  }
  if (run === undefined) return `run ${holder.runId} does not exist`;
  const task = run.tasks.find((candidate) => candidate.index === holder.taskIndex);
  if (task === undefined) return `run ${holder.runId} has no task ${holder.taskIndex}`;
  if (FINAL_TASK_STATUSES.includes(task.status)) {
    // A holder that renewed its lease moments ago is still at work (it records, reports, then
    // releases; or its step timed out and it is stopping its commands): taking the lease now would
    // race its release (the store has no conditional delete) and could let two applies overlap.
    if (!Number.isNaN(beat) && now.getTime() - beat < FINAL_TASK_GRACE_MS) return undefined;
    return `its task is ${task.status}`;
  }
  return undefined;
}

/** How long a lease of a holder whose task is final but which renewed it recently is still respected. */
export const FINAL_TASK_GRACE_MS = 10_000;

/** A lock of this very task: a retried step, or a runner started twice. Taken over unless another live process holds it. */
async function sameTaskTakeOver(holder: LeaseHolder, options: AcquireLeaseOptions): Promise<string | undefined> {
  const self = options.owner ?? options.liveness?.self();
  const owner = holder.owner;
  if (!owner || !options.liveness || !self || (owner.host === self.host && owner.pid === self.pid)) return 'it is held by this run';
  const alive = options.liveness.isAlive(owner) || (holder.processGroup !== undefined && options.liveness.isGroupAlive(owner.host, holder.processGroup));
  return alive ? undefined : 'it is held by this run';
}

function newToken(): string {
  return globalThis.crypto.randomUUID();
}

export function parseHolder(body: string): LeaseHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value)) return undefined;
  const { runId, taskIndex, digest, acquiredAt } = value;
  if (typeof runId !== 'string' || runId === '' || typeof taskIndex !== 'number' || typeof digest !== 'string' || typeof acquiredAt !== 'string') return undefined;
  const holder: LeaseHolder = { runId, taskIndex, digest, acquiredAt };
  if (typeof value.token === 'string') holder.token = value.token;
  const owner = value.owner;
  if (isJsonObject(owner) && typeof owner.host === 'string' && typeof owner.pid === 'number') holder.owner = { host: owner.host, pid: owner.pid };
  if (typeof value.processGroup === 'number') holder.processGroup = value.processGroup;
  if (typeof value.heartbeatAt === 'string') holder.heartbeatAt = value.heartbeatAt;
  if (typeof value.recordingAt === 'string') holder.recordingAt = value.recordingAt;
  return holder;
}
