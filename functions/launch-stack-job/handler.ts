import { launchStackJobStep, type LaunchStepDeps, type WaitingStepInput } from '../../lib/pipeline/workflow/steps.js';

/** "Run stack job": record the job and start the runner, which reports back with the task token. */
export const makeHandler = (deps: LaunchStepDeps) => (event: WaitingStepInput) => launchStackJobStep(deps, event);
