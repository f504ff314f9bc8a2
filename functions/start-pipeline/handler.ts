import { triggerPipeline, type StartDeps } from '../../lib/pipeline/workflow/start-pipeline.js';

/**
 * Build-complete event (EventBridge or S3) → a run: validated, named for idempotency, concurrency
 * applied, started. An S3 event for another key under builds/ (the rule's wildcard also matches
 * nested keys) is ignored with one log line.
 */
export const makeHandler = (deps: StartDeps & { log?: (line: string) => void }) => (event: unknown) =>
  triggerPipeline({ ...deps, log: deps.log ?? ((line: string) => console.log(line)) }, event);
