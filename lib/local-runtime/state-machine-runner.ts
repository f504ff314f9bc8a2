import './polyfills.js';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { JsonObject } from '../kustomize/json.js';
import type { FileTaskCallbacks } from '../adapters/local/file-task-callbacks.js';
import { makeHandler as cancelRemaining } from '../../functions/cancel-remaining/handler.js';
import { makeHandler as createDeploymentTasks } from '../../functions/create-deployment-tasks/handler.js';
import { makeHandler as launchStackJob } from '../../functions/launch-stack-job/handler.js';
import { makeHandler as recordSuccess } from '../../functions/record-success/handler.js';
import { makeHandler as requestApproval } from '../../functions/request-approval/handler.js';
import { makeHandler as resolveManifests } from '../../functions/resolve-manifests/handler.js';
import type { ApprovalStepDeps, LaunchStepDeps, WaitingStepInput } from '../pipeline/workflow/steps.js';
import { loadDeploymentStageDefinition } from './asl.js';
import { readRun } from '../pipeline/workflow/records.js';
import { WorkflowErrors } from '../ports/task-callbacks.js';

export interface LocalWorkflowDeps extends ApprovalStepDeps, LaunchStepDeps {
  callbacks: FileTaskCallbacks;
}

/** One entry of the execution history, as the console would list it. */
export interface ExecutionEvent {
  type: string;
  state?: string;
  detail?: unknown;
}

export interface LocalExecution {
  executionId: string;
  /** Settles when the execution ends: `SUCCEEDED` or `FAILED` (the run record says why). */
  result: Promise<'SUCCEEDED' | 'FAILED'>;
  /** The execution history so far. */
  events: ExecutionEvent[];
  abort(): void;
  /** The first store write that failed in one of its steps (a full disk), as one line; undefined if none did. */
  storeFailure(): string | undefined;
}

// File callbacks are polled: 20 ms keeps a local run snappy and costs one stat-and-read per tick.
const POLL_MS = 20;

/**
 * Runs statemachine/deployment-stage.asl.json in-process (aws-local-stepfunctions) with every
 * Task state bound to the real handler code and the local adapters. Waiting states (approvals,
 * stack jobs) mint their own task token per invocation and complete when an answer for it
 * arrives through the file callbacks — from the runner child process, `stageline approve`, the
 * local approval page, or the terminal.
 */
export function startLocalExecution(deps: LocalWorkflowDeps, name: string, input: JsonObject): LocalExecution {
  // The definition is validated by a test (asl-validator); validating it again on every run cost
  // a local deployment a tenth of a second of schema compilation.
  const machine = new StateMachine(loadDeploymentStageDefinition() as never, { validationOptions: { noValidate: true } });
  const controller = new AbortController();
  const openTokens = new Set<string>();
  let storeFailure: string | undefined;
  // A step that fails on a write the store refused (ENOSPC, EROFS, …) is remembered for the operator's message.
  const noting = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      storeFailure ??= writeFailureOf(error);
      throw error;
    }
  };
  // A Lambda task's result arrives wrapped as lambda:invoke returns it ({ Payload, StatusCode }).
  type LocalHandler = (input: any) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const lambda = <T>(handler: (event: T) => Promise<unknown>): LocalHandler =>
    (async (event: { Payload: T }) => ({ Payload: await noting(() => handler(event.Payload)), StatusCode: 200 })) as unknown as LocalHandler;
  const waiting = (start: (event: WaitingStepInput) => Promise<unknown>, timeoutOf: (event: WaitingStepInput) => number | undefined): LocalHandler =>
    (async (event: { Payload: WaitingStepInput }) => {
      // Each invocation gets its own token (aws-local-stepfunctions gives one per Map iteration).
      const token = randomUUID();
      const payload = { ...event.Payload, taskToken: token };
      await refuseAfterEarlierFailure(deps, payload);
      openTokens.add(token);
      try {
        await noting(() => start(payload));
        return await waitForAnswer(deps.callbacks, token, timeoutOf(payload), controller.signal);
      } finally {
        openTokens.delete(token);
        // Closed in memory at least: a full disk must not turn the step's answer into a failure.
        await deps.callbacks.close(token).catch(() => undefined);
      }
    }) as unknown as LocalHandler;

  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: {
        'Resolve manifests': lambda(resolveManifests(deps)),
        'Create deployment tasks': lambda(createDeploymentTasks(deps)),
        'Wait for approval': waiting(requestApproval(deps), (event) => event.task.approvalTimeoutSeconds),
        'Run stack job': waiting(launchStackJob(deps), (event) => event.task.stackJobTimeoutSeconds),
        // A job still applying when its step ended (timed out) is stopped with it: the runner's process group.
        'Cancel remaining environments': lambda(cancelRemaining({ ...deps, jobStopper: deps.launcher })),
        'Record success': lambda(recordSuccess(deps)),
      },
    },
    context: {
      Execution: { Id: `local:${name}`, Name: name, Input: input, StartTime: new Date().toISOString() },
      State: { Name: '', EnteredTime: '' },
      get Task() {
        return { Token: 'minted-per-invocation' };
      },
    } as never,
  });

  const events: ExecutionEvent[] = [];
  const history = (async () => {
    for await (const event of execution.eventLogs) {
      const record = event as { type: string; state?: { name?: string } };
      events.push({ type: record.type, state: record.state?.name, detail: event });
    }
  })();

  const result = execution.result.then(
    () => 'SUCCEEDED' as const,
    () => 'FAILED' as const,
  );
  const settled = result.finally(async () => {
    controller.abort();
    await history.catch(() => undefined);
    await Promise.all([...openTokens].map((token) => deps.callbacks.close(token).catch(() => undefined)));
  });
  return {
    executionId: `local:${name}`,
    result: settled,
    events,
    abort: () => {
      controller.abort();
      execution.abort();
    },
    storeFailure: () => storeFailure,
  };
}

const WRITE_FAILURES: Record<string, string> = { ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EROFS: 'read-only file system', EIO: 'input/output error', EACCES: 'permission denied' };

/** `no space left on device (ENOSPC)` for a failed write; undefined for any other error. */
function writeFailureOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && WRITE_FAILURES[code] ? `${WRITE_FAILURES[code]} (${code})` : undefined;
}

/**
 * aws-local-stepfunctions keeps running the Map's queued iterations after one failed (AWS stops
 * the Map at once): an environment may start only once every earlier one succeeded, or a later
 * environment would be provisioned after a failure.
 */
async function refuseAfterEarlierFailure(deps: LocalWorkflowDeps, input: WaitingStepInput): Promise<void> {
  const run = await readRun(deps.store, input.runId);
  const blocking = run?.tasks.find((task) => task.index < input.task.index && task.status !== 'SUCCEEDED');
  if (!blocking) return;
  const error = new Error(`${blocking.env} did not succeed (${blocking.status})`);
  error.name = WorkflowErrors.Cancelled;
  throw error;
}

/** Resolves with the step's output, or rejects with an Error named after the failure's error code. */
async function waitForAnswer(callbacks: FileTaskCallbacks, token: string, timeoutSeconds: number | undefined, signal: AbortSignal): Promise<JsonObject> {
  const deadline = timeoutSeconds === undefined ? Infinity : Date.now() + timeoutSeconds * 1000 + 1000;
  while (!signal.aborted && Date.now() < deadline) {
    const answer = await callbacks.read(token);
    if (answer?.type === 'success') return answer.output;
    if (answer?.type === 'failure') {
      const error = new Error(answer.cause);
      error.name = answer.error;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  // The state's own TimeoutSeconds fails it first; this only ends the poll.
  const error = new Error('no answer');
  error.name = 'States.Timeout';
  throw error;
}
