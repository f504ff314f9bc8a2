import { requestApprovalStep, type ApprovalStepDeps, type WaitingStepInput } from '../../lib/pipeline/workflow/steps.js';

/** "Wait for approval": store the task token with the gate, send each approver a personal link. */
export const makeHandler = (deps: ApprovalStepDeps) => (event: WaitingStepInput) => requestApprovalStep(deps, event);
