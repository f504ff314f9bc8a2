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
