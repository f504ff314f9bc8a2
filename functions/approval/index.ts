// Lambda entry behind the approval function URL (ESM, the S3 client bundled, the other SDK clients from the runtime).
// The keyring is read from Secrets Manager on first use and cached (5 min) per container.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { functionObservability } from '../../lib/adapters/aws/observability.js';
import { requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { SfnTaskCallbacks } from '../../lib/adapters/aws/sfn-task-callbacks.js';
import { cachedKeyring, loadSigningKeyring } from '../../lib/adapters/aws/signing-keyring.js';
import { systemClock } from '../../lib/ports/clock.js';
import { makeHandler } from './handler.js';

const keySecretArn = requireEnv('APPROVAL_KEY_SECRET_ARN');
const secrets = new SecretsManagerClient({});

const observability = functionObservability('approval');

// Never the request itself (its query holds the link's signature, its form the form token): the
// handler logs one line per request with the method, the status and the outcome.
export const handler = observability.handler(
  makeHandler({
    store: observability.observe(new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') })),
    callbacks: new SfnTaskCallbacks(),
    clock: systemClock,
    keyring: cachedKeyring(() => loadSigningKeyring(secrets, keySecretArn)),
    log: (line) => observability.logger.info('approval request', { request: JSON.parse(line) as unknown }),
  }),
  { outcome: (result) => ({ statusCode: result.statusCode }) },
);
