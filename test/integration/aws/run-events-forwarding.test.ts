import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeRunEventPublisher, SlackRunNotifier, SnsRunNotifier } from '../../../lib/adapters/aws/run-event-sinks.js';
import { S3ArtifactStore } from '../../../lib/adapters/aws/s3-artifact-store.js';
import { forwardRunEvent } from '../../../lib/pipeline/workflow/forward-run-event.js';
import { createRun, updateRun, type RunRecord } from '../../../lib/pipeline/workflow/records.js';
import { runEventsPrefix } from '../../../lib/pipeline/workflow/run-events.js';
import { startMotoS3, type MotoS3 } from './moto-s3.js';

/**
 * The forward-run-events function's domain with its real adapters, against moto: a run's changes
 * appended to the bucket arrive on an EventBridge bus (a rule delivers them to a queue a test
 * subscribes with), people's notifications on the SNS topic (an SQS subscription) and on a Slack
 * webhook (a local HTTP server).
 */

let s3: MotoS3;
let sqs: SQSClient;
let busQueue: string;
let topicQueue: string;
let topicArn: string;
const slack: string[] = [];
let slackUrl: string;
let closeSlack: () => void;
const BUS = 'team-events';

beforeAll(async () => {
  s3 = await startMotoS3();
  await s3.createBucket('stageline');
  const config = s3.moto.adminClientConfig();
  sqs = new SQSClient(config);
  const events = new EventBridgeClient(config);
  const sns = new SNSClient(config);
  const queueArn = async (url: string) => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  busQueue = (await sqs.send(new CreateQueueCommand({ QueueName: 'bus' }))).QueueUrl!;
  topicQueue = (await sqs.send(new CreateQueueCommand({ QueueName: 'topic' }))).QueueUrl!;
  await events.send(new CreateEventBusCommand({ Name: BUS }));
  await events.send(new PutRuleCommand({ Name: 'stageline-runs', EventBusName: BUS, EventPattern: JSON.stringify({ source: ['stageline'] }) }));
  await events.send(new PutTargetsCommand({ Rule: 'stageline-runs', EventBusName: BUS, Targets: [{ Id: 'queue', Arn: await queueArn(busQueue) }] }));
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'notifications' }))).TopicArn!;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: await queueArn(topicQueue), Attributes: { RawMessageDelivery: 'true' } }));
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      slack.push(body);
      response.end('ok');
    });
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  slackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/secret`;
  closeSlack = () => server.close();
}, 60_000);

afterAll(async () => {
  closeSlack?.();
  await s3?.close();
});

async function drain(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let empty = 0; empty < 2; ) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) empty++;
    bodies.push(...Messages.map((message) => message.Body!));
  }
  return bodies;
}

describe('run events, forwarded', () => {
  it('arrive on EventBridge as source stageline; a failure reaches the topic and Slack, progress does not', async () => {
    const store = new S3ArtifactStore({ bucket: 'stageline', client: s3.client });
    const now = new Date('2030-01-01T12:00:00.000Z');
    const run: RunRecord = {
      schemaVersion: 1,
      runId: 'hello-abc',
      build: { org: 'acme', service: 'hello', commitSha: 'a'.repeat(40), branch: 'main', image: 'hello:1', triggeredBy: 'dev@acme.io' },
      status: 'RUNNING',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      tasks: [
        { index: 0, overlay: 'dev', env: 'app-dev', kind: 'KubernetesDeployment', name: 'hello', digest: '0'.repeat(64), gated: false, status: 'APPLYING', references: { secrets: [], variables: [] } },
      ],
      skipped: [],
      warnings: [],
    };
    await createRun(store, run);
    await updateRun(store, run.runId, (record) => {
      record.tasks[0]!.status = 'FAILED';
      record.tasks[0]!.detail = 'apply command exited with code 3';
      record.status = 'FAILED';
      record.failure = { env: 'app-dev', error: 'Stageline.StackJobFailed', cause: 'apply command exited with code 3' };
    }, new Date('2030-01-01T12:01:00.000Z'));

    const deps = {
      store,
      publisher: new EventBridgeRunEventPublisher({ eventBusName: BUS, client: new EventBridgeClient(s3.moto.adminClientConfig()) }),
      notifiers: [new SnsRunNotifier({ topicArn, client: new SNSClient(s3.moto.adminClientConfig()) }), new SlackRunNotifier({ webhookUrl: slackUrl })],
      log: (line: string) => logs.push(line),
    };
    const logs: string[] = [];
    const keys = (await store.list(runEventsPrefix(run.runId))).sort();
    const outcomes = [];
    for (const key of keys) outcomes.push(await forwardRunEvent(deps, key));

    const onBus = (await drain(busQueue)).map((body) => JSON.parse(body) as { source: string; 'detail-type': string; detail: { status: string; env?: string } });
    expect(onBus.map((event) => [event.source, event['detail-type'], event.detail.env ?? null, event.detail.status])).toEqual([
      ['stageline', 'Environment Status Change', 'app-dev', 'APPLYING'],
      ['stageline', 'Run Status Change', null, 'RUNNING'],
      ['stageline', 'Environment Status Change', 'app-dev', 'FAILED'],
      ['stageline', 'Run Status Change', null, 'FAILED'],
    ]);
    const onTopic = await drain(topicQueue);
    expect(onTopic).toEqual([expect.stringContaining('Run hello-abc of hello aaaaaaaaaaaa (main) failed at app-dev: apply command exited with code 3.')]);
    expect(slack).toHaveLength(1);
    expect(JSON.parse(slack[0]!)).toEqual({ text: expect.stringMatching(/^\*Stageline: hello run failed at app-dev\*\n/) });
    expect(outcomes.filter((outcome) => outcome.forwarded && outcome.notified.length > 0)).toEqual([{ forwarded: true, detailType: 'Run Status Change', runId: 'hello-abc', notified: ['sns', 'slack'] }]);
    expect(logs).toEqual([]);
  });

  it('an object that is not a run event is ignored, nothing published', async () => {
    const store = new S3ArtifactStore({ bucket: 'stageline', client: s3.client });
    const deps = { store, publisher: { publish: async () => expect.unreachable('nothing to publish') }, notifiers: [], log: () => undefined };
    expect(await forwardRunEvent(deps, 'runs/hello-abc/run.json')).toEqual({ forwarded: false, reason: 'runs/hello-abc/run.json is not a run event' });
  });
});
