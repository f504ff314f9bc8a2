// Lambda entry (ESM, bundled by NodejsFunction: the S3 client inside, the other SDK clients from the runtime).
// Target of the EventBridge rule on the runner project's builds ending FAILED / FAULT / STOPPED /
// TIMED_OUT: fails the stack-job step at once when the build died before the runner reported.
import { functionObservability } from '../../lib/adapters/aws/observability.js';
import { requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { SfnTaskCallbacks } from '../../lib/adapters/aws/sfn-task-callbacks.js';
import { systemClock } from '../../lib/ports/clock.js';
import { buildEventKeys, makeHandler } from './handler.js';

const observability = functionObservability('stack-job-watcher');

export const handler = observability.handler(
  makeHandler({
    store: observability.observe(new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') })),
    callbacks: new SfnTaskCallbacks(),
    clock: systemClock,
    log: (line) => observability.logger.info(line),
  }),
  { keys: buildEventKeys, outcome: (action) => ({ action }) },
);
