// Lambda entry (ESM, bundled by NodejsFunction with the AWS SDK external: the runtime provides it).
// Invoked with .waitForTaskToken: it returns once the build is started; the runner reports back.
import { CodeBuildStackJobLauncher } from '../../lib/adapters/aws/codebuild-stack-job-launcher.js';
import { requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { systemClock } from '../../lib/ports/clock.js';
import { makeHandler } from './handler.js';

export const handler = makeHandler({
  store: new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') }),
  clock: systemClock,
  launcher: new CodeBuildStackJobLauncher({ projectName: requireEnv('STACK_JOB_PROJECT') }),
});
