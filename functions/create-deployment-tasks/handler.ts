import { createDeploymentTasksStep, type CreateTasksInput, type StepDeps } from '../../lib/pipeline/workflow/steps.js';

/** "Create deployment tasks": order by promotion policy, mark gates, write run.json. */
export const makeHandler = (deps: StepDeps) => (event: CreateTasksInput) => createDeploymentTasksStep(deps, event);
