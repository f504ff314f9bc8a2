import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { approvalEmails, slackApprovalMessage } from '../../pipeline/approvals/notification.js';
import type { ApprovalNotification, Notifier } from '../../ports/notifier.js';

export interface SnsNotifierOptions {
  topicArn: string;
  /** A Slack incoming-webhook URL: when set, one message per gate (without links) goes there too. */
  slackWebhookUrl?: string;
  client?: SNSClient;
  /** Default: global fetch. */
  fetch?: typeof fetch;
  /** Where a failed Slack post is reported (default console.warn). Never given the webhook URL. */
  warn?: (line: string) => void;
}

/**
 * Notifier over SNS: one email per approver, each with only that approver's personal link
 * (`lib/pipeline/approvals/notification.ts`), published with the message attribute `approver` so
 * each email subscription carries a filter policy `{ "approver": ["<email>"] }`. The optional
 * Slack message is best effort: a failed post is reported, the gate stays open.
 */
export class SnsNotifier implements Notifier {
  private readonly client: SNSClient;

  constructor(private readonly options: SnsNotifierOptions) {
    this.client = options.client ?? new SNSClient({});
  }

  async approvalRequested(notification: ApprovalNotification): Promise<void> {
    for (const email of approvalEmails(notification)) {
      await this.client.send(
        new PublishCommand({
          TopicArn: this.options.topicArn,
          Subject: email.subject,
          Message: email.body,
          MessageAttributes: { approver: { DataType: 'String', StringValue: email.approver.trim().toLowerCase() } },
        }),
      );
    }
    if (this.options.slackWebhookUrl) await this.postToSlack(notification);
  }

  private async postToSlack(notification: ApprovalNotification): Promise<void> {
    const warn = this.options.warn ?? ((line: string) => console.warn(line));
    try {
      const response = await (this.options.fetch ?? fetch)(this.options.slackWebhookUrl!, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: slackApprovalMessage(notification),
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) warn(`slack notification for ${notification.service} → ${notification.env} failed: HTTP ${response.status}`);
    } catch (error) {
      warn(`slack notification for ${notification.service} → ${notification.env} failed: ${error instanceof Error ? error.name : 'error'}`);
    }
  }
}
