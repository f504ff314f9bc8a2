// Lambda entry (ESM, bundled by NodejsFunction with @aws-sdk/client-s3 inside; the other SDK
// clients come from the runtime). Target of the EventBridge rule on this stack's state machine's
// executions ending FAILED / TIMED_OUT / ABORTED: ends the run they leave RUNNING.
import { functionObservability } from '../../lib/adapters/aws/observability.js';
import { requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { SfnExecutionStarter } from '../../lib/adapters/aws/sfn-execution-starter.js';
import { systemClock } from '../../lib/ports/clock.js';
import { executionEventKeys, makeHandler } from './handler.js';

const stateMachineArn = requireEnv('STATE_MACHINE_ARN');

const observability = functionObservability('reconcile-execution');

export const handler = observability.handler(makeHandler({
  store: observability.observe(new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') })),
  clock: systemClock,
  // The next queued run of the lane starts here (`concurrency: queue`), and only events of this
  // state machine are acted on.
  starter: new SfnExecutionStarter({ stateMachineArn }),
  stateMachineArn,
  log: (line) => observability.logger.info(line),
}), { keys: executionEventKeys, outcome: (outcome) => ({ ...outcome }) });
