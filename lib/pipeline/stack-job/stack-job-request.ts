import * as z from 'zod/mini';
import { StagelineError } from '../../errors.js';
import type { StackJobRequest } from '../../ports/stack-job-launcher.js';
import { safeParse } from '../config/zod.js';

/** The job handed to the runner is missing, not JSON, or lacks a field. */
export class StackJobRequestError extends StagelineError {
  constructor(message: string, options: { hint?: string } = {}) {
    super('STACK_JOB_REQUEST_INVALID', message, options);
  }
}

const text = z.string().check(z.minLength(1));

const requestSchema = z.object({
  runId: text,
  org: text,
  service: text,
  taskIndex: z.int().check(z.minimum(0)),
  overlay: text,
  env: text,
  kind: text,
  name: text,
  manifestKey: text,
  digest: z.string().check(z.regex(/^[0-9a-f]{64}$/, { error: 'expected a lowercase sha256 hex digest' })),
  taskToken: text,
  awsRoleArn: z.optional(text),
});

/**
 * Parses the runner's job (`--job` / `STAGELINE_JOB`, the JSON of a {@link StackJobRequest}).
 * Messages name the field and what was expected, never a value (the job carries the task token).
 */
export function parseStackJobRequest(json: string, from: string): StackJobRequest {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new StackJobRequestError(`${from}: not valid JSON`, { hint: 'pass the job as a JSON object: {"runId": ..., "taskToken": ...}' });
  }
  const result = safeParse(requestSchema, data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : '(the job)';
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem${result.error.issues.length > 2 ? 's' : ''})` : '';
    throw new StackJobRequestError(`${from}: ${field}: ${issue.message}${more}`, { hint: 'the job is a StackJobRequest (lib/ports/stack-job-launcher.ts)' });
  }
  const { awsRoleArn, ...required } = result.data;
  return awsRoleArn === undefined ? required : { ...required, awsRoleArn };
}
