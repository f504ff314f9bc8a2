import { forwardRunEvent, type ForwardDeps, type ForwardOutcome } from '../../lib/pipeline/workflow/forward-run-event.js';

/**
 * "A run event was appended" (EventBridge `aws.s3` Object Created of runs/<runId>/events/*.event.json):
 * the event goes on EventBridge for other tools, and to people when it is one they are told about.
 * One log line per event: its type and run, never its content.
 */
export const makeHandler = (deps: ForwardDeps) => async (event: unknown): Promise<ForwardOutcome> => {
  const outcome = await forwardRunEvent(deps, objectKey(event));
  deps.log(`forward-run-events: ${JSON.stringify(outcome)}`);
  return outcome;
};

/** The decoded object key of an S3 Object Created event ('' when there is none). */
export function objectKey(event: unknown): string {
  const key = (event as { detail?: { object?: { key?: unknown } } } | undefined)?.detail?.object?.key;
  if (typeof key !== 'string') return '';
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

/** Log keys: the run id from the key. */
export function runEventKeys(event: unknown): { runId?: string } {
  const match = /^runs\/([^/]+)\/events\//.exec(objectKey(event));
  return match ? { runId: match[1]! } : {};
}
