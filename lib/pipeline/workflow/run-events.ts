import { createHash } from 'node:crypto';
import { isPreconditionFailed, type ArtifactStore } from '../../ports/artifact-store.js';
import type { RunRecord, RunStatus, RunTask, TaskStatus } from './records.js';

/**
 * Run events for other tools (the README's "Run events" documents each detail). Every change of a
 * run's or an environment's status, and every gate that starts waiting, is one event, derived from
 * run.json's compare-and-swap (so exactly one writer emits each) and appended to the store under
 * `runs/<runId>/events/`; in AWS a forwarder puts each on EventBridge (`source: stageline`), locally
 * `stageline events` reads them. Details carry names, statuses and one-line reasons: never a
 * secret, a token or a link.
 */
export const RUN_EVENT_SOURCE = 'stageline';

export type RunEventType = 'Run Status Change' | 'Environment Status Change' | 'Approval Requested';

interface RunContext {
  runId: string;
  org: string;
  service: string;
  commitSha: string;
  branch: string;
  image: string;
  triggeredBy: string;
}

export interface RunStatusChange extends RunContext {
  status: RunStatus;
  previousStatus: RunStatus | null;
  /** Failed runs: the environment that stopped it and why. */
  failure?: { env?: string; error: string; cause: string };
}

export interface EnvironmentStatusChange extends RunContext {
  env: string;
  overlay: string;
  index: number;
  digest: string;
  status: TaskStatus;
  previousStatus: TaskStatus | null;
  detail?: string;
}

export interface ApprovalRequested extends RunContext {
  env: string;
  overlay: string;
  index: number;
  digest: string;
  approvers: string[];
  minApprovals: number;
}

export type RunEvent =
  | { id: string; source: typeof RUN_EVENT_SOURCE; detailType: 'Run Status Change'; time: string; detail: RunStatusChange }
  | { id: string; source: typeof RUN_EVENT_SOURCE; detailType: 'Environment Status Change'; time: string; detail: EnvironmentStatusChange }
  | { id: string; source: typeof RUN_EVENT_SOURCE; detailType: 'Approval Requested'; time: string; detail: ApprovalRequested };

/** The events one write of run.json makes: `before` is the record it replaced (undefined when it created the run). */
export function runEventsBetween(before: RunRecord | undefined, after: RunRecord, time: string): RunEvent[] {
  const context: RunContext = {
    runId: after.runId,
    org: after.build.org,
    service: after.build.service,
    commitSha: after.build.commitSha,
    branch: after.build.branch,
    image: after.build.image,
    triggeredBy: after.build.triggeredBy,
  };
  const events: RunEvent[] = [];
  // Environments first: a run's final status follows the change of the environment that ended it.
  for (const task of after.tasks) {
    const previous = before?.tasks.find((candidate) => candidate.index === task.index);
    if (previous?.status === task.status) continue;
    events.push(event(time, 'Environment Status Change', environmentChange(context, task, previous?.status ?? null)));
    if (task.status === 'WAITING_APPROVAL') {
      events.push(
        event(time, 'Approval Requested', {
          ...context,
          env: task.env,
          overlay: task.overlay,
          index: task.index,
          digest: task.digest,
          approvers: task.approvers ?? [],
          minApprovals: task.minApprovals ?? 1,
        }),
      );
    }
  }
  if (before?.status !== after.status) {
    events.push(event(time, 'Run Status Change', { ...context, status: after.status, previousStatus: before?.status ?? null, ...(after.failure ? { failure: after.failure } : {}) }));
  }
  return events;
}

function environmentChange(context: RunContext, task: RunTask, previousStatus: TaskStatus | null): EnvironmentStatusChange {
  return {
    ...context,
    env: task.env,
    overlay: task.overlay,
    index: task.index,
    digest: task.digest,
    status: task.status,
    previousStatus,
    ...(task.detail ? { detail: task.detail } : {}),
  };
}

function event<T extends RunEvent['detailType']>(time: string, detailType: T, detail: Extract<RunEvent, { detailType: T }>['detail']): RunEvent {
  const subject = 'env' in detail ? `${detail.index}:${(detail as { status?: string }).status ?? 'gate'}` : detail.status;
  const id = createHash('sha256').update(`${detail.runId}\0${detailType}\0${subject}\0${time}`).digest('hex').slice(0, 32);
  return { id, source: RUN_EVENT_SOURCE, detailType, time, detail } as RunEvent;
}

/** Where a run's events are kept: one object each, keys sorting in the order they happened. */
export const runEventsPrefix = (runId: string) => `runs/${runId}/events/`;
export const RUN_EVENT_SUFFIX = '.event.json';

/**
 * Appends `events` to the store: written once each (a retried write of the same change is a no-op).
 * `sequence` orders the events of writes made in the same millisecond.
 */
export async function appendRunEvents(store: ArtifactStore, events: readonly RunEvent[]): Promise<void> {
  for (const [position, runEvent] of events.entries()) {
    const key = `${runEventsPrefix(runEvent.detail.runId)}${runEvent.time.replace(/[:.]/g, '-')}-${String(position).padStart(2, '0')}-${runEvent.id}${RUN_EVENT_SUFFIX}`;
    try {
      await store.put(key, `${JSON.stringify(runEvent, null, 2)}\n`, { ifNoneMatch: '*' });
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }
}

/** A run's events, oldest first. */
export async function listRunEvents(store: ArtifactStore, runId: string): Promise<RunEvent[]> {
  const keys = (await store.list(runEventsPrefix(runId))).filter((key) => key.endsWith(RUN_EVENT_SUFFIX)).sort();
  const bodies = await Promise.all(keys.map(async (key) => (await store.get(key))?.body));
  return bodies.flatMap((body) => {
    if (body === undefined) return [];
    try {
      return [JSON.parse(body) as RunEvent];
    } catch {
      return []; // a torn write of an event is skipped, never fatal to the reader
    }
  });
}
