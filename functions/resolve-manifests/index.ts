// Lambda entry (ESM, bundled by NodejsFunction: the S3 client inside, the other SDK clients from the runtime).
// Adapters are built once per container, at module scope; the handler only calls the domain step.
import { functionObservability, stepKeys } from '../../lib/adapters/aws/observability.js';
import { requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { systemClock } from '../../lib/ports/clock.js';
import { makeHandler } from './handler.js';

const observability = functionObservability('resolve-manifests');

export const handler = observability.handler(makeHandler({ store: observability.observe(new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') })), clock: systemClock }), {
  keys: stepKeys,
  outcome: (result) => ({ manifests: result.manifests.length, skipped: result.skipped.length }),
});
