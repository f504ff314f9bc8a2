// Lambda entry (ESM, bundled by NodejsFunction: the S3 client inside, the other SDK clients from the runtime).
// Adapters are built once per container, at module scope; the handler only calls the domain step.
import { functionObservability, stepKeys } from '../../lib/adapters/aws/observability.js';
import { optionalEnv, requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { SfnExecutionStarter } from '../../lib/adapters/aws/sfn-execution-starter.js';
import { systemClock } from '../../lib/ports/clock.js';
import { makeHandler } from './handler.js';

// With STATE_MACHINE_ARN the run that ends starts the next queued run of its service and branch
// (`concurrency: queue`); without it the step only records the outcome.
const stateMachineArn = optionalEnv('STATE_MACHINE_ARN');

const observability = functionObservability('cancel-remaining');

export const handler = observability.handler(
  makeHandler({
    store: observability.observe(new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') })),
    clock: systemClock,
    ...(stateMachineArn ? { starter: new SfnExecutionStarter({ stateMachineArn }) } : {}),
  }),
  { keys: stepKeys, outcome: (result) => ({ status: result.status }) },
);
