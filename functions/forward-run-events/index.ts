// Lambda entry (ESM, bundled by NodejsFunction with @aws-sdk/client-s3 inside; the other SDK
// clients come from the runtime). Target of the EventBridge rule on run events appended to the
// bucket: puts each on EventBridge (source stageline) and tells people of failures, rejections,
// timeouts and waiting gates (the notifications topic, the optional Slack webhook).
import { functionObservability } from '../../lib/adapters/aws/observability.js';
import { optionalEnv, requireEnv } from '../../lib/adapters/aws/lambda-environment.js';
import { EventBridgeRunEventPublisher, SlackRunNotifier, SnsRunNotifier } from '../../lib/adapters/aws/run-event-sinks.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { makeHandler, runEventKeys } from './handler.js';

const observability = functionObservability('forward-run-events');
const slackWebhookUrl = optionalEnv('SLACK_WEBHOOK_URL');
const eventBusName = optionalEnv('RUN_EVENT_BUS');

export const handler = observability.handler(
  makeHandler({
    store: observability.observe(new S3ArtifactStore({ bucket: requireEnv('BUCKET_NAME') })),
    publisher: new EventBridgeRunEventPublisher(eventBusName ? { eventBusName } : {}),
    notifiers: [new SnsRunNotifier({ topicArn: requireEnv('NOTIFICATION_TOPIC_ARN') }), ...(slackWebhookUrl ? [new SlackRunNotifier({ webhookUrl: slackWebhookUrl })] : [])],
    log: (line) => observability.logger.info(line),
  }),
  { keys: runEventKeys, outcome: (outcome) => ({ ...outcome }) },
);
