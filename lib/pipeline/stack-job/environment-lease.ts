import { isJsonObject } from '../../kustomize/json.js';
import { isPreconditionFailed, type ArtifactStore } from '../../ports/artifact-store.js';
import type { StackJobRequest } from '../../ports/stack-job-launcher.js';
import { FINAL_TASK_STATUSES, readRun, serialize } from '../workflow/records.js';
import { environmentLockKey } from './keys.js';

/** How often a stack job waiting for an environment's lease looks at it again, when not told otherwise. */
export const DEFAULT_LEASE_POLL_MS = 1_000;

/** The body of `locks/<org>/<env>/<service>.json`: which run's task is applying the service to the environment. */
export interface LeaseHolder {
  runId: string;
  taskIndex: number;
  digest: string;
  acquiredAt: string;
}

/** A lease this job holds: the lock's key and the etag and body it wrote. */
export interface EnvironmentLease {
  key: string;
  etag: string;
  body: string;
  /** It was held by another run when the job first looked (the job waited for it). */
  waited: boolean;
}

export interface AcquireLeaseOptions {
  store: ArtifactStore;
  log: (line: string) => void;
  /** Milliseconds between two looks at a lease held by another run. */
  pollMs: number;
  now: () => Date;
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
  const mine: LeaseHolder = { runId: request.runId, taskIndex: request.taskIndex, digest: request.digest, acquiredAt: options.now().toISOString() };
  const body = serialize(mine);
  let announced: string | undefined;
  let waited = false;
  for (;;) {
    const current = await store.get(key);
    if (current === undefined) {
      try {
        const { etag } = await store.put(key, body, { ifNoneMatch: '*' });
        log(`lease on ${request.env} acquired (${key})`);
        return { key, etag, body, waited };
      } catch (error) {
        if (!isPreconditionFailed(error)) throw error;
        continue; // another job created it first: look at it
      }
    }

    const holder = parseHolder(current.body);
    const takeOver = holder === undefined ? 'the lock cannot be read' : holder.runId === request.runId ? 'it is held by this run' : await staleBecause(store, holder);
    if (takeOver !== undefined) {
      try {
        const { etag } = await store.put(key, body, { ifMatch: current.etag });
        const who = holder === undefined ? '' : ` from run ${holder.runId} task ${holder.taskIndex}`;
        log(`lease on ${request.env} taken over${who} (${takeOver})`);
        return { key, etag, body, waited };
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
 * Removes the lease if it is still this job's (same etag, same body); a lease taken over meanwhile
 * (this job's task went final before the release, and a waiting job took it) is left alone.
 * Never throws: a lease left behind is stale as soon as this job's task is final.
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
    log(`lease on ${env} not released (it is stale once this task is final): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Why another run's lease may be taken over, or `undefined` while its task is still in flight. */
async function staleBecause(store: ArtifactStore, holder: LeaseHolder): Promise<string | undefined> {
  const run = await readRun(store, holder.runId);
  if (run === undefined) return `run ${holder.runId} does not exist`;
  const task = run.tasks.find((candidate) => candidate.index === holder.taskIndex);
  if (task === undefined) return `run ${holder.runId} has no task ${holder.taskIndex}`;
  if (FINAL_TASK_STATUSES.includes(task.status)) return `its task is ${task.status}`;
  return undefined;
}

function parseHolder(body: string): LeaseHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value)) return undefined;
  const { runId, taskIndex, digest, acquiredAt } = value;
  if (typeof runId !== 'string' || runId === '' || typeof taskIndex !== 'number' || typeof digest !== 'string' || typeof acquiredAt !== 'string') return undefined;
  return { runId, taskIndex, digest, acquiredAt };
}
