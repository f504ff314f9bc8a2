import { StagelineError } from '../../errors.js';

/**
 * Fails the current workflow step with a named error: the error's `name` becomes the Step
 * Functions error code (`Stageline.Superseded`, ...), which the Catch and CancelRemaining read.
 */
export class WorkflowStepError extends StagelineError {
  constructor(errorCode: string, message: string) {
    super('WORKFLOW_STEP', message);
    this.name = errorCode;
  }
}

/**
 * A gate whose quorum can never be reached (its approvers other than the person who triggered the
 * build are fewer than minApprovals): Wait for approval fails at once instead of waiting for the
 * timeout; Cancel remaining environments marks the environment FAILED with the step's message.
 */
export const GATE_UNSATISFIABLE = 'Stageline.GateUnsatisfiable';
