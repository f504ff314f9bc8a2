import { StagelineError } from '../../errors.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { StackJobRequest } from '../../ports/stack-job-launcher.js';
import { WorkflowErrors, type TaskCallbacks } from '../../ports/task-callbacks.js';
import { FINAL_TASK_STATUSES, updateTask, type TaskStatus } from '../workflow/records.js';
import { parseStackJobRequest } from './stack-job-request.js';

/**
 * Build statuses that end a runner build without it having (necessarily) reported: the install
 * step or the buildspec failed, the build timed out, crashed, or was stopped. CodeBuild's own
 * names (the `build-status` of a "CodeBuild Build State Change" event).
 */
export const FAILED_BUILD_STATUSES = ['FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT'] as const;

export interface BuildOutcomeDeps {
  store: ArtifactStore;
  callbacks: TaskCallbacks;
  clock: Clock;
  /** One line per decision. Never the task token, never anything from the build's logs. */
  log: (line: string) => void;
}

/**
 * What the watcher did about one ended build:
 * - `ignored`: nothing to do (a successful build, not a stack job, the runner already recorded
 *   success, or a build that is no longer the task's);
 * - `failed`: the waiting step was failed now (the run would otherwise wait for its timeout);
 * - `closed`: the step was already over (the runner reported, the step timed out, the run stopped).
 */
export type BuildOutcomeAction = 'ignored' | 'failed' | 'closed';

export interface BuildOutcome {
  /** The job the build ran (read from `runs/<runId>/jobs/<index>-<overlay>.json`). */
  job: StackJobRequest;
  /** CodeBuild's build status: SUCCEEDED, FAILED, FAULT, STOPPED, TIMED_OUT, IN_PROGRESS. */
  buildStatus: string;
  /** The build's id (`<project>:<uuid>`) or ARN, as the event gives it. */
  buildId: string;
}

/** `runs/<runId>/jobs/<index>-<overlay>.json`: the only keys the watcher reads a job from. */
const JOB_KEY = /^runs\/[^/]+\/jobs\/[^/]+\.json$/;

/**
 * A runner build ended (DESIGN §5, Stack Jobs). When it ended without success, the runner may
 * never have reported — the install step or the buildspec failed, the build timed out, crashed or
 * was stopped — and the workflow would wait for the stack-job step's timeout. So:
 *
 * - SUCCEEDED (or any status that is not an end by failure) → nothing: the runner reported;
 * - the task already SUCCEEDED → nothing: the runner recorded its deployment;
 * - the task is another build's (it records a different `stackJobId`) → nothing;
 * - otherwise the task is marked FAILED (unless it is already final) with one line naming the
 *   build and its status, and the step is failed with `Stageline.StackJobFailed` and that line.
 *   A `closed` answer (the runner reported, the step timed out) is expected and changes nothing.
 *
 * The line names the build only: nothing from the build's logs, which could hold anything.
 * Throws only when the step could not be told (the event is then retried).
 */
export async function reportBuildOutcome(deps: BuildOutcomeDeps, outcome: BuildOutcome): Promise<BuildOutcomeAction> {
  const { job, buildStatus } = outcome;
  const buildId = shortBuildId(outcome.buildId);
  const what = `run ${job.runId} task ${job.taskIndex} (${job.env})`;
  if (!(FAILED_BUILD_STATUSES as readonly string[]).includes(buildStatus)) {
    deps.log(`stack-job build ${buildId} ended ${buildStatus}: ${what} is the runner's to report; nothing to do`);
    return 'ignored';
  }
  const line = `stack-job build ${buildId} ended ${buildStatus} before the runner reported`;

  const now = deps.clock.now();
  try {
    await updateTask(
      deps.store,
      job.runId,
      job.taskIndex,
      (task) => {
        if (task.overlay !== job.overlay) {
          throw new StagelineError('TASK_MISMATCH', `run ${job.runId} task ${job.taskIndex} is overlay "${task.overlay}", not "${job.overlay}"`);
        }
        if (task.stackJobId !== undefined && task.stackJobId !== buildId) throw new OtherBuild(task.stackJobId);
        if (FINAL_TASK_STATUSES.includes(task.status)) throw new TaskAlreadyFinal(task.status);
        task.status = 'FAILED';
        task.finishedAt = now.toISOString();
        task.detail = line;
      },
      now,
    );
    deps.log(`${what}: marked FAILED (${line})`);
  } catch (error) {
    if (error instanceof OtherBuild) {
      deps.log(`${what} runs build ${error.current}, not ${buildId}; nothing to do`);
      return 'ignored';
    }
    if (error instanceof TaskAlreadyFinal && error.status === 'SUCCEEDED') {
      deps.log(`${what} already SUCCEEDED (the runner reported); nothing to do`);
      return 'ignored';
    }
    if (error instanceof TaskAlreadyFinal) {
      deps.log(`${what} is already ${error.status}; record left as is`);
    } else {
      // The step is still failed below; the workflow's Catch path records the task from its cause.
      deps.log(`${what}: run record not updated: ${messageOf(error)}`);
    }
  }

  const answer = await deps.callbacks.fail(job.taskToken, WorkflowErrors.StackJobFailed, line);
  if (answer === 'closed') {
    deps.log(`${what}: the workflow step was already closed (the runner reported, or the step timed out); nothing changed`);
    return 'closed';
  }
  deps.log(`${what}: failed the waiting workflow step (${WorkflowErrors.StackJobFailed})`);
  return 'failed';
}

export interface BuildEnded {
  /** `STAGELINE_JOB_KEY` of the build's environment; undefined when it has none. */
  jobKey: string | undefined;
  buildStatus: string;
  buildId: string;
}

/**
 * {@link reportBuildOutcome} for a build known by its job key: loads the job the launcher wrote.
 * A build that is not a stack job (no key, a key outside `runs/<runId>/jobs/`, no such object, not
 * a job) is logged and ignored — retrying would not change it. Successful builds are not even read.
 */
export async function reportBuildEnded(deps: BuildOutcomeDeps, ended: BuildEnded): Promise<BuildOutcomeAction> {
  const buildId = shortBuildId(ended.buildId);
  if (!(FAILED_BUILD_STATUSES as readonly string[]).includes(ended.buildStatus)) {
    deps.log(`stack-job build ${buildId} ended ${ended.buildStatus}; nothing to do`);
    return 'ignored';
  }
  if (ended.jobKey === undefined || ended.jobKey.trim() === '') {
    deps.log(`build ${buildId} ended ${ended.buildStatus} but has no STAGELINE_JOB_KEY: not a stack job started by Stageline; ignored`);
    return 'ignored';
  }
  if (!JOB_KEY.test(ended.jobKey)) {
    deps.log(`build ${buildId}: STAGELINE_JOB_KEY ${JSON.stringify(ended.jobKey.slice(0, 200))} is not runs/<runId>/jobs/<file>.json; ignored`);
    return 'ignored';
  }
  const object = await deps.store.get(ended.jobKey);
  if (!object) {
    deps.log(`build ${buildId} ended ${ended.buildStatus} but its job ${ended.jobKey} is not in the bucket; ignored`);
    return 'ignored';
  }
  let job: StackJobRequest;
  try {
    job = parseStackJobRequest(object.body, ended.jobKey);
  } catch (error) {
    // The parser names the field, never a value (the job carries the task token).
    deps.log(`build ${buildId}: ${messageOf(error)}; ignored`);
    return 'ignored';
  }
  return reportBuildOutcome(deps, { job, buildStatus: ended.buildStatus, buildId: ended.buildId });
}

/** `arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>` → `<project>:<uuid>` (StartBuild's `build.id`). */
export function shortBuildId(buildId: string): string {
  return buildId.replace(/^arn:[^:]+:codebuild:[^:]*:[^:]*:build\//, '');
}

class TaskAlreadyFinal extends Error {
  constructor(readonly status: TaskStatus) {
    super(status);
  }
}

class OtherBuild extends Error {
  constructor(readonly current: string) {
    super(current);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
