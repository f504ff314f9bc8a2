// Lambda entry (ESM, bundled by NodejsFunction with the the S3 client bundled, the other SDK clients from the runtime).
// Target of the `Build Completed` and S3 `builds/*/*/build.json` EventBridge rules.
import { requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { SfnExecutionStarter } from '../../lib/adapters/aws/sfn-execution-starter.js';
import { SfnTaskCallbacks } from '../../lib/adapters/aws/sfn-task-callbacks.js';
import { systemClock } from '../../lib/ports/clock.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler({
  store: new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') }),
  clock: systemClock,
  starter: new SfnExecutionStarter({ stateMachineArn: requireEnv('STATE_MACHINE_ARN') }),
  // Superseding a run that waits at a gate fails that gate's task (SendTaskFailure).
  callbacks: new SfnTaskCallbacks(),
});
