import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { PeopleNotifier, RunEventPublisher } from '../../pipeline/workflow/forward-run-event.js';
import type { RunEvent } from '../../pipeline/workflow/run-events.js';
import type { RunNotification } from '../../pipeline/workflow/run-notifications.js';
import { EventPublishError } from './eventbridge-publisher.js';

/** Run events on an EventBridge bus (the account's default bus unless told otherwise): `source: stageline`, the detail type, the detail. */
export class EventBridgeRunEventPublisher implements RunEventPublisher {
  private readonly client: EventBridgeClient;

  constructor(private readonly options: { eventBusName?: string; client?: EventBridgeClient } = {}) {
    this.client = options.client ?? new EventBridgeClient({});
  }

  async publish(event: RunEvent): Promise<void> {
    const response = await this.client.send(
      new PutEventsCommand({
        Entries: [{ Source: event.source, DetailType: event.detailType, Detail: JSON.stringify(event.detail), Time: new Date(event.time), ...(this.options.eventBusName ? { EventBusName: this.options.eventBusName } : {}) }],
      }),
    );
    const entry = response.Entries?.[0];
    if ((response.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
      throw new EventPublishError(`the ${event.detailType} event of ${event.detail.runId} was refused: ${entry?.ErrorCode ?? 'no event id'}${entry?.ErrorMessage ? ` (${entry.ErrorMessage})` : ''}`);
    }
  }
}

/** People's notifications on an SNS topic (email, chat integrations): subject and text, the detail type as a message attribute for filter policies. */
export class SnsRunNotifier implements PeopleNotifier {
  readonly name = 'sns';
  private readonly client: SNSClient;

  constructor(private readonly options: { topicArn: string; client?: SNSClient }) {
    this.client = options.client ?? new SNSClient({});
  }

  async notify(notification: RunNotification, event: RunEvent): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.options.topicArn,
        // SNS subjects are at most 100 characters, one line.
        Subject: notification.subject.slice(0, 100),
        Message: notification.text,
        MessageAttributes: {
          detailType: { DataType: 'String', StringValue: event.detailType },
          service: { DataType: 'String', StringValue: event.detail.service },
          ...('env' in event.detail ? { env: { DataType: 'String', StringValue: event.detail.env } } : {}),
        },
      }),
    );
  }
}

/** A Slack incoming webhook: one message per notification. The URL is a credential: never logged, never in an error. */
export class SlackRunNotifier implements PeopleNotifier {
  readonly name = 'slack';

  constructor(private readonly options: { webhookUrl: string; fetch?: typeof fetch }) {}

  async notify(notification: RunNotification): Promise<void> {
    const response = await (this.options.fetch ?? fetch)(this.options.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `*${notification.subject}*\n${notification.text}` }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`the Slack webhook answered HTTP ${response.status}`);
  }
}
