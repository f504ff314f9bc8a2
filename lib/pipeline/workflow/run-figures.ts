import type { ArtifactStore, PutConditions, StoredObject } from '../../ports/artifact-store.js';
import type { GateRecord } from '../approvals/gate.js';
import type { RunRecord, RunStatus } from './records.js';

/**
 * The deployment stage's figures (published as CloudWatch metrics, namespace `Stageline`, by the
 * functions; see docs/aws.md "Logs, metrics, alarms and the dashboard"). Each is derived from a
 * transition of a record a step writes anyway — run.json, approvals/<id>.json — so counting reads
 * nothing extra: whoever wins the compare-and-swap of a transition reports it, exactly once.
 */
export type FigureName =
  | 'RunsStarted'
  | 'RunsSucceeded'
  | 'RunsFailed'
  | 'RunsCancelled'
  | 'RunsSuperseded'
  | 'RunDuration'
  | 'EnvironmentDeployDuration'
  | 'EnvironmentsFailed'
  | 'ApprovalWait'
  | 'StackJobDuration';

export interface Figure {
  name: FigureName;
  unit: 'Count' | 'Seconds';
  value: number;
  /** The deployed service (the `service` dimension). */
  service: string;
  /** The deployment environment (the `environment` dimension), for per-environment figures. */
  environment?: string;
}

const FINAL_RUN: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'SUPERSEDED'];
const RUN_END_FIGURE: Record<string, FigureName> = { SUCCEEDED: 'RunsSucceeded', FAILED: 'RunsFailed', CANCELLED: 'RunsCancelled', SUPERSEDED: 'RunsSuperseded' };

/** Seconds between two ISO timestamps; undefined when either is missing or unreadable. */
export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * What one write of run.json means, `before` being the record as read for that write (undefined
 * when it was created):
 * - its execution started (`executionStartedAt` set): RunsStarted;
 * - it ended (a final status for the first time): RunsSucceeded / RunsFailed / RunsCancelled /
 *   RunsSuperseded and RunDuration (created → finished), and per environment that finished:
 *   EnvironmentDeployDuration (a SUCCEEDED environment: started → finished, an approval wait
 *   included), EnvironmentsFailed (FAILED, REJECTED, TIMED_OUT), StackJobDuration (an ungated
 *   environment that ran a stack job: its start is the launch; a gated environment's task
 *   record keeps no launch time, so its stack job is not timed here).
 */
export function runTransitionFigures(before: RunRecord | undefined, after: RunRecord): Figure[] {
  const service = after.build.service;
  const figures: Figure[] = [];
  if (!before?.executionStartedAt && after.executionStartedAt) figures.push({ name: 'RunsStarted', unit: 'Count', value: 1, service });
  const ended = FINAL_RUN.includes(after.status) && !(before && FINAL_RUN.includes(before.status));
  if (!ended) return figures;
  figures.push({ name: RUN_END_FIGURE[after.status]!, unit: 'Count', value: 1, service });
  const runSeconds = secondsBetween(after.createdAt, after.finishedAt);
  if (runSeconds !== undefined) figures.push({ name: 'RunDuration', unit: 'Seconds', value: runSeconds, service });
  for (const task of after.tasks) {
    const environment = task.env;
    const seconds = secondsBetween(task.startedAt, task.finishedAt);
    if (task.status === 'SUCCEEDED' && seconds !== undefined) figures.push({ name: 'EnvironmentDeployDuration', unit: 'Seconds', value: seconds, service, environment });
    if (task.status === 'FAILED' || task.status === 'REJECTED' || task.status === 'TIMED_OUT') figures.push({ name: 'EnvironmentsFailed', unit: 'Count', value: 1, service, environment });
    if (!task.gated && task.stackJobId && seconds !== undefined && (task.status === 'SUCCEEDED' || task.status === 'FAILED')) {
      figures.push({ name: 'StackJobDuration', unit: 'Seconds', value: seconds, service, environment });
    }
  }
  return figures;
}

/** A gate decided by its approvers (WAITING → APPROVED / REJECTED) at `at`: ApprovalWait, opened → decided. */
export function gateTransitionFigures(before: GateRecord | undefined, after: GateRecord, at: Date): Figure[] {
  if (before?.status !== 'WAITING' || (after.status !== 'APPROVED' && after.status !== 'REJECTED')) return [];
  const seconds = secondsBetween(after.createdAt, at.toISOString());
  return seconds === undefined ? [] : [{ name: 'ApprovalWait', unit: 'Seconds', value: seconds, service: after.service, environment: after.env }];
}

const RUN_RECORD = /^runs\/[^/]+\/run\.json$/;
const GATE_RECORD = /^approvals\/[^/]+\.json$/;

/**
 * An ArtifactStore that passes every call through and notes the figures of each run.json or
 * gate transition it writes: the record as last read (or written) by this store is the `before`
 * of a write made with that etag (`ifMatch`), or of an unconditional one; a create
 * (`ifNoneMatch: '*'`) has none. A write that fails notes nothing. {@link drain} hands the
 * figures noted since the last call (one invocation's) to the caller, who publishes them.
 */
export class FigureRecordingStore implements ArtifactStore {
  private readonly seen = new Map<string, StoredObject>();
  private figures: Figure[] = [];

  constructor(
    private readonly inner: ArtifactStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(key: string): Promise<StoredObject | undefined> {
    const object = await this.inner.get(key);
    if (object && isObserved(key)) this.seen.set(key, object);
    return object;
  }

  async put(key: string, body: string, conditions?: PutConditions): Promise<{ etag: string }> {
    const result = await this.inner.put(key, body, conditions);
    if (isObserved(key)) {
      const previous = this.seen.get(key);
      const before = conditions?.ifNoneMatch ? undefined : conditions?.ifMatch !== undefined ? (previous?.etag === conditions.ifMatch ? previous : undefined) : previous;
      this.seen.set(key, { body, etag: result.etag });
      try {
        this.note(key, before?.body, body);
      } catch {
        // A record that does not parse is the domain's problem, never a reason to fail the write.
      }
    }
    return result;
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    this.seen.delete(key);
    return this.inner.delete(key);
  }

  /** The figures noted since the last drain; the records seen are forgotten too (the next invocation reads its own). */
  drain(): Figure[] {
    const figures = this.figures;
    this.figures = [];
    this.seen.clear();
    return figures;
  }

  private note(key: string, before: string | undefined, after: string): void {
    if (RUN_RECORD.test(key)) {
      this.figures.push(...runTransitionFigures(before === undefined ? undefined : (JSON.parse(before) as RunRecord), JSON.parse(after) as RunRecord));
    } else if (before !== undefined) {
      this.figures.push(...gateTransitionFigures(JSON.parse(before) as GateRecord, JSON.parse(after) as GateRecord, this.now()));
    }
  }
}

function isObserved(key: string): boolean {
  return RUN_RECORD.test(key) || GATE_RECORD.test(key);
}
