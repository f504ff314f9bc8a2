import { recordSuccessStep, type StepDeps } from '../../lib/pipeline/workflow/steps.js';

/** "Record success": mark the run SUCCEEDED, then start the next queued run of its service and branch (if a starter is given). */
export const makeHandler = (deps: StepDeps) => (event: { runId: string }) => recordSuccessStep(deps, event);
