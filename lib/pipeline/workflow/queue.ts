import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { ExecutionStarter } from '../../ports/execution-starter.js';
import { listRunsOfService, markExecutionStarted, updateRunIf, type BuildEvent, type RunRecord } from './records.js';

/**
 * `concurrency: queue` (DESIGN §2): runs of one service and branch (a lane) deploy one at a time,
 * oldest first. A run created while another of its lane is RUNNING or QUEUED is stored QUEUED and
 * starts nothing; when a run ends (Record success, Cancel remaining environments) the oldest
 * QUEUED run of its lane is flipped to RUNNING with compare-and-swap and its execution started.
 */
export interface QueueDeps {
  store: ArtifactStore;
  clock: Clock;
  starter: ExecutionStarter;
}

/** The execution input of a run (ExecutionInput in steps.ts). */
interface QueuedExecutionInput {
  runId: string;
  build: BuildEvent;
}

export interface Lane {
  service: string;
  branch: string;
}

export const laneOf = (run: Pick<RunRecord, 'build'>): Lane => ({ service: run.build.service, branch: run.build.branch });

const inLane = (run: RunRecord, lane: Lane) => run.build.service === lane.service && run.build.branch === lane.branch;

/** Oldest first; run ids break ties of one millisecond so that every caller sees the same order. */
export const oldestFirst = (a: RunRecord, b: RunRecord) => a.createdAt.localeCompare(b.createdAt) || a.runId.localeCompare(b.runId);

const isActive = (run: RunRecord) => run.status === 'RUNNING' || run.status === 'QUEUED';

/** The run `run` waits for: the newest RUNNING or QUEUED run of its lane created before it. */
export function predecessorOf(runs: readonly RunRecord[], run: RunRecord): RunRecord | undefined {
  return runs
    .filter((other) => other.runId !== run.runId && inLane(other, laneOf(run)) && isActive(other) && oldestFirst(other, run) < 0)
    .sort(oldestFirst)
    .at(-1);
}

/**
 * Starts the oldest QUEUED run of `lane` if no run of the lane is RUNNING. The QUEUED → RUNNING
 * flip is a compare-and-swap: when two runs finish at once (or a new build arrives as the last
 * run ends), exactly one caller starts it; a caller that loses looks again and finds it RUNNING.
 * A queued run whose execution cannot be started is marked FAILED and the next one is tried.
 * Returns the run id it started, if any.
 */
export async function startNextQueued(deps: QueueDeps, lane: Lane): Promise<string | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const runs = (await listRunsOfService(deps.store, lane.service)).filter((run) => inLane(run, lane));
    if (runs.some((run) => run.status === 'RUNNING')) return undefined;
    const next = runs.filter((run) => run.status === 'QUEUED').sort(oldestFirst)[0];
    if (!next) return undefined;
    const now = deps.clock.now();
    const claimed = await updateRunIf(deps.store, next.runId, (run) => run.status === 'QUEUED', (run) => {
      run.status = 'RUNNING';
    }, now);
    if (!claimed) continue; // Another caller started it (or it was cancelled): look again.
    const input: QueuedExecutionInput = { runId: claimed.runId, build: claimed.build };
    try {
      await deps.starter.start(claimed.runId, input as unknown as Record<string, never>);
    } catch (error) {
      const cause = `could not start the queued run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
      await updateRunIf(deps.store, claimed.runId, (run) => run.status === 'RUNNING' && run.tasks.length === 0, (run) => {
        run.status = 'FAILED';
        run.failure = { error: 'Stageline.StartFailed', cause };
        run.finishedAt = deps.clock.now().toISOString();
      }, deps.clock.now());
      continue;
    }
    // Best effort: without the mark, a repeated build event calls StartExecution again, a no-op.
    await markExecutionStarted(deps.store, claimed.runId, deps.clock.now()).catch(() => undefined);
    return claimed.runId;
  }
  return undefined;
}
