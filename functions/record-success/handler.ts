import { recordSuccessStep, type StepDeps } from '../../lib/pipeline/workflow/steps.js';

/** "Record success": mark the run SUCCEEDED. */
export const makeHandler = (deps: StepDeps) => (event: { runId: string }) => recordSuccessStep(deps, event);
