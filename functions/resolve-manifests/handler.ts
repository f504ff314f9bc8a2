import { resolveManifestsStep, type ExecutionInput, type StepDeps } from '../../lib/pipeline/workflow/steps.js';

/** "Resolve manifests": build or render every manifest of the build, store them, return keys and digests. */
export const makeHandler = (deps: StepDeps) => (event: ExecutionInput) => resolveManifestsStep(deps, event);
