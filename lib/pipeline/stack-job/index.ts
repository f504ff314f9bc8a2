export { DEFAULT_HEARTBEAT_MS, executeStackJob, runStackJob, type StackJobDeps, type StackJobOutcome, type StackJobReport } from './run-stack-job.js';
export { deployedDiffKey, deployedKey, environmentLockKey, outputsKey } from './keys.js';
export { acquireEnvironmentLease, DEFAULT_LEASE_POLL_MS, releaseEnvironmentLease, type EnvironmentLease, type LeaseHolder } from './environment-lease.js';
export { createRedactor, REDACTED, type Redactor } from './redactor.js';
export { parseStackJobRequest, StackJobRequestError } from './stack-job-request.js';
export { checkCommandTemplate, renderCommandTemplate, shellQuote } from './command-template.js';
