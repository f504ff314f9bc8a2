// Lambda entry (ESM, bundled by NodejsFunction with the the S3 client bundled, the other SDK clients from the runtime).
// Invoked with .waitForTaskToken: it returns once the build is started; the runner reports back.
// The job (with the task token) goes to the bucket; the build gets only its key.
import { CodeBuildStackJobLauncher } from '../../lib/adapters/aws/codebuild-stack-job-launcher.js';
import { requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { systemClock } from '../../lib/ports/clock.js';
import { makeHandler } from './handler.js';

const store = new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') });

export const handler = makeHandler({
  store,
  clock: systemClock,
  launcher: new CodeBuildStackJobLauncher({ projectName: requireEnv('STACK_JOB_PROJECT'), store }),
});
