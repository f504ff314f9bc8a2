// Lambda entry (ESM, bundled by NodejsFunction: the S3 client inside, the other SDK clients from the runtime).
// Invoked with .waitForTaskToken: opens the gate, emails each approver a personal signed link.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { functionObservability, stepKeys } from '../../lib/adapters/aws/observability.js';
import { optionalEnv, requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { cachedKeyring, loadSigningKeyring } from '../../lib/adapters/aws/signing-keyring.js';
import { SnsNotifier } from '../../lib/adapters/aws/sns-notifier.js';
import { approvalLinksFor } from '../../lib/pipeline/approvals/links.js';
import type { WaitingStepInput } from '../../lib/pipeline/workflow/steps.js';
import { systemClock } from '../../lib/ports/clock.js';
import { makeHandler } from './handler.js';

const approvalUrl = requireEnv('APPROVAL_URL');
const keySecretArn = requireEnv('APPROVAL_KEY_SECRET_ARN');
const secrets = new SecretsManagerClient({});
const keyring = cachedKeyring(() => loadSigningKeyring(secrets, keySecretArn));
const observability = functionObservability('request-approval');
const deps = {
  store: observability.observe(new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') })),
  clock: systemClock,
  notifier: new SnsNotifier({ topicArn: requireEnv('TOPIC_ARN'), slackWebhookUrl: optionalEnv('SLACK_WEBHOOK_URL'), warn: (line) => observability.logger.warn(line) }),
};

// The event carries the step's task token, and the links their signatures: neither is ever logged
// (stepKeys reads the run and environment only; the outcome is the approval id).
export const handler = observability.handler(
  async (event: WaitingStepInput) => {
    // The links are signed synchronously by the step: read the keyring (cached) before calling it.
    const signing = await keyring();
    return makeHandler({ ...deps, approvalLinks: (gate) => approvalLinksFor(gate, approvalUrl, signing) })(event);
  },
  { keys: stepKeys, outcome: (result) => ({ approvalId: result.approvalId }) },
);
