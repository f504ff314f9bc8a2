import type { JsonObject } from '../kustomize/json.js';

/**
 * How a waiting workflow step (an approval gate, a stack job) is completed: Step Functions'
 * SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat in AWS; files the local runtime watches
 * on a laptop. The token is the step's capability: it never leaves the server side (it is never
 * put in a URL, a log line or an email).
 */
export interface TaskCallbacks {
  succeed(token: string, output: JsonObject): Promise<CallbackOutcome>;
  /** `error` is a code such as `Stageline.Rejected`; `cause` is one line for the execution history (never a secret). */
  fail(token: string, error: string, cause: string): Promise<CallbackOutcome>;
  heartbeat(token: string): Promise<CallbackOutcome>;
}

/**
 * `closed`: the step had already been decided, timed out or stopped (TaskTimedOut, InvalidToken,
 * TaskDoesNotExist in AWS). Not an error for the caller: a second approver's click, a late
 * runner report after a timeout.
 */
export type CallbackOutcome = 'delivered' | 'closed';

/** Error codes the workflow uses to fail a waiting step; Catch / CancelRemaining map them to task statuses. */
export const WorkflowErrors = {
  Rejected: 'Stageline.Rejected',
  Superseded: 'Stageline.Superseded',
  Cancelled: 'Stageline.Cancelled',
  StackJobFailed: 'Stageline.StackJobFailed',
  Timeout: 'States.Timeout',
} as const;
