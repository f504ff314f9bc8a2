import 'aws-sdk-client-mock-vitest/extend';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SnsNotifier } from '../../../../lib/adapters/aws/sns-notifier.js';
import { approvalEmail } from '../../../../lib/pipeline/approvals/notification.js';
import type { ApprovalNotification } from '../../../../lib/ports/notifier.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const sns = mockClient(SNSClient);
const topicArn = 'arn:aws:sns:eu-west-1:111111111111:stageline-approvals';

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

const notification: ApprovalNotification = {
  service: 'svc',
  env: 'app-production',
  runId: 'r1',
  commitSha: 'abcdef1234567',
  image: 'svc:1',
  triggeredBy: 'dev@acme.io',
  links: [
    { approver: 'ops@acme.io', url: 'https://approve.example/a/x?approver=ops%40acme.io&exp=1&sig=k1.AAA' },
    { approver: 'Lead@acme.io', url: 'https://approve.example/a/x?approver=lead%40acme.io&exp=1&sig=k1.BBB' },
  ],
  expiresAt: '2026-01-04T00:00:00.000Z',
};

describe('SnsNotifier', () => {
  it("publishes one email per approver, each with only that approver's link and an approver attribute", async () => {
    const notifier = new SnsNotifier({ topicArn, client: new SNSClient({ region: 'eu-west-1' }) });

    await notifier.approvalRequested(notification);

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    const ops = approvalEmail(notification, 'ops@acme.io');
    expect(sns).toHaveReceivedNthCommandWith(PublishCommand, 1, {
      TopicArn: topicArn,
      Subject: ops.subject,
      Message: ops.body,
      MessageAttributes: { approver: { DataType: 'String', StringValue: 'ops@acme.io' } },
    });
    const second = sns.commandCalls(PublishCommand)[1]!.args[0].input;
    expect(second.MessageAttributes?.approver?.StringValue).toBe('lead@acme.io');
    expect(second.Message).toContain('sig=k1.BBB');
    expect(second.Message).not.toContain('sig=k1.AAA');
  });

  it('publishes a subject SNS accepts (fewer than 100 characters) for the longest service and environment names', async () => {
    const service = `s${'-long-service'.repeat(4)}-name-that-is-63-characters`.slice(0, 63);
    const env = `e${'-long-environment'.repeat(4)}`.slice(0, 63);
    const notifier = new SnsNotifier({ topicArn, client: new SNSClient({ region: 'eu-west-1' }) });

    await notifier.approvalRequested({ ...notification, service, env });

    const subject = sns.commandCalls(PublishCommand)[0]!.args[0].input.Subject!;
    expect(subject.length).toBeLessThan(100);
    for (const name of [service, env]) {
      expect(subject).toContain(name.slice(0, 15)); // its start and its end stay visible
      expect(subject).toContain(name.slice(-15));
    }
  });

  it('posts the Slack message (no links) when a webhook is configured', async () => {
    const fetch = vi.fn(async () => new Response('ok', { status: 200 }));
    const notifier = new SnsNotifier({ topicArn, slackWebhookUrl: 'https://hooks.slack.example/T/B/x', client: new SNSClient({ region: 'eu-west-1' }), fetch });

    await notifier.approvalRequested(notification);

    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('https://hooks.slack.example/T/B/x');
    expect(init).toMatchObject({ method: 'POST', headers: { 'Content-Type': 'application/json' } });
    expect(String(init.body)).toContain('Approval needed: svc to app-production');
    expect(String(init.body)).not.toContain('sig=');
  });

  it('reports a failed Slack post without the webhook URL, and still sends the emails', async () => {
    const warn = vi.fn();
    const fetch = vi.fn(async () => new Response('no', { status: 500 }));
    const notifier = new SnsNotifier({ topicArn, slackWebhookUrl: 'https://hooks.slack.example/T/B/secret-part', client: new SNSClient({ region: 'eu-west-1' }), fetch, warn });

    await notifier.approvalRequested(notification);

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(warn).toHaveBeenCalledWith('slack notification for svc → app-production failed: HTTP 500');
    expect(JSON.stringify(warn.mock.calls)).not.toContain('secret-part');
  });
});
