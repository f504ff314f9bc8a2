// Lambda entry (ESM, bundled by NodejsFunction: the S3 client inside, the other SDK clients from the runtime).
// Target of the `Build Completed` and S3 `builds/*/*/build.json` EventBridge rules.
import { StsBuildAuthenticator } from '../../lib/adapters/aws/build-caller-proof.js';
import { functionObservability } from '../../lib/adapters/aws/observability.js';
import { requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { SfnExecutionStarter } from '../../lib/adapters/aws/sfn-execution-starter.js';
import { SfnTaskCallbacks } from '../../lib/adapters/aws/sfn-task-callbacks.js';
import { systemClock } from '../../lib/ports/clock.js';
import { makeHandler } from './handler.js';

const observability = functionObservability('start-pipeline');

// Never the event itself (a build record is not a secret, but the line is the run's, not the payload's).
export const handler = observability.handler(
  makeHandler({
    store: observability.observe(new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') })),
    clock: systemClock,
    starter: new SfnExecutionStarter({ stateMachineArn: requireEnv('STATE_MACHINE_ARN') }),
    // Superseding a run that waits at a gate fails that gate's task (SendTaskFailure).
    callbacks: new SfnTaskCallbacks(),
    log: (line) => observability.logger.info(line),
    // triggeredBy is the caller STS authenticates from the record's callerProof, never the payload's word.
    // An endpoint of the function's own configuration (an emulated account) is accepted besides AWS's.
    authenticate: new StsBuildAuthenticator({ extraEndpoint: process.env.AWS_ENDPOINT_URL_STS || process.env.AWS_ENDPOINT_URL || undefined }),
  }),
  { outcome: (result) => ({ ...result }) },
);
