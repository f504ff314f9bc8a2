import { isJsonObject } from '../../kustomize/json.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { ProcessLiveness, ProcessOwner } from '../../ports/stack-job-launcher.js';
import { serialize } from '../workflow/records.js';

/**
 * `runs/<runId>/owner.json` (local only): the process running the run's workflow — a
 * `deploy --local` — with a heartbeat it renews every {@link RUN_OWNER_HEARTBEAT_MS}. In AWS Step
 * Functions owns every execution and there is no such record.
 */
export const runOwnerKey = (runId: string) => `runs/${runId}/owner.json`;

export const RUN_OWNER_HEARTBEAT_MS = 2_000;

/**
 * A run whose owner has not renewed its heartbeat for this long is abandoned (its owner is gone:
 * SIGKILL, a crash, a machine that went away). On the owner's own machine, a pid that no longer
 * exists decides at once.
 */
export const RUN_OWNER_STALE_MS = 15_000;

export interface RunOwnerRecord extends ProcessOwner {
  startedAt: string;
  heartbeatAt: string;
}

export async function writeRunOwner(store: ArtifactStore, runId: string, owner: ProcessOwner, startedAt: string, now: Date): Promise<void> {
  const record: RunOwnerRecord = { host: owner.host, pid: owner.pid, startedAt, heartbeatAt: now.toISOString() };
  await store.put(runOwnerKey(runId), serialize(record));
}

/** The run's owner, or undefined (an AWS run, a run of an older version, an unreadable record). */
export async function readRunOwner(store: ArtifactStore, runId: string): Promise<RunOwnerRecord | undefined> {
  const object = await store.get(runOwnerKey(runId));
  if (!object) return undefined;
  try {
    const value = JSON.parse(object.body) as unknown;
    if (!isJsonObject(value)) return undefined;
    const { host, pid, startedAt, heartbeatAt } = value;
    if (typeof host !== 'string' || typeof pid !== 'number' || typeof startedAt !== 'string' || typeof heartbeatAt !== 'string') return undefined;
    return { host, pid, startedAt, heartbeatAt };
  } catch {
    return undefined;
  }
}

/**
 * Why the owner is gone (one line), or undefined while it may be alive: gone when its pid no longer
 * exists on this machine, or when its heartbeat is older than `staleAfterMs` (another machine, or a
 * pid reused by another process).
 */
export function ownerGoneBecause(owner: RunOwnerRecord, now: Date, liveness?: ProcessLiveness, staleAfterMs = RUN_OWNER_STALE_MS): string | undefined {
  const where = `pid ${owner.pid} on ${owner.host}`;
  if (liveness?.isAlive(owner) === false) return `its deploy process (${where}) is gone`;
  // A live pid with a stale heartbeat is gone too: the pid was reused, or the process no longer runs the run.
  const age = now.getTime() - Date.parse(owner.heartbeatAt);
  if (Number.isNaN(age) || age > staleAfterMs) return `its deploy process (${where}) stopped renewing its heartbeat ${Number.isNaN(age) ? '' : `${Math.round(age / 1000)} s ago `}(stale after ${staleAfterMs / 1000} s)`.replace('  ', ' ');
  return undefined;
}
