import { cancelRemainingStep, type StepDeps, type StepFailure } from '../../lib/pipeline/workflow/steps.js';

/** "Cancel remaining environments": the failed one gets its status, every later one CANCELLED; then the next queued run of its service and branch starts (if a starter is given). */
export const makeHandler = (deps: StepDeps) => (event: { runId: string; failure?: StepFailure }) => cancelRemainingStep(deps, event);
