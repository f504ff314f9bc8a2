import { startPipeline, type StartDeps } from '../../lib/pipeline/workflow/start-pipeline.js';

/** Build-complete event (EventBridge or S3) → a run: validated, named for idempotency, concurrency applied, started. */
export const makeHandler = (deps: StartDeps) => (event: unknown) => startPipeline(deps, event);
