export { DEFAULT_HEARTBEAT_MS, executeStackJob, runStackJob, type StackJobDeps, type StackJobOutcome, type StackJobReport } from './run-stack-job.js';
export { deployedDiffKey, deployedKey, outputsKey } from './keys.js';
export { createRedactor, REDACTED, type Redactor } from './redactor.js';
export { parseStackJobRequest, StackJobRequestError } from './stack-job-request.js';
export { checkCommandTemplate, renderCommandTemplate, shellQuote } from './command-template.js';
