// Lambda entry (ESM, bundled by NodejsFunction: the S3 client inside, the other SDK clients from the runtime).
// Invoked with .waitForTaskToken: it returns once the build is started; the runner reports back.
// The job (with the task token) goes to the bucket; the build gets only its key.
import { CodeBuildStackJobLauncher } from '../../lib/adapters/aws/codebuild-stack-job-launcher.js';
import { functionObservability, stepKeys } from '../../lib/adapters/aws/observability.js';
import { requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { systemClock } from '../../lib/ports/clock.js';
import { makeHandler } from './handler.js';

const observability = functionObservability('launch-stack-job');
const store = observability.observe(new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') }));

// The event carries the step's task token: it is never logged (stepKeys reads the run and environment only).
export const handler = observability.handler(
  makeHandler({
    store,
    clock: systemClock,
    launcher: new CodeBuildStackJobLauncher({ projectName: requireEnv('STACK_JOB_PROJECT'), store }),
  }),
  { keys: stepKeys, outcome: (result) => ({ stackJobId: result.jobId }) },
);
