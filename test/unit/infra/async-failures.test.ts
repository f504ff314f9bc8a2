import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { allowStatements, asArray, logicalId, renderResource, synthesize } from './harness.js';

/**
 * Async failures are kept: every EventBridge rule target has a dead-letter queue (events that
 * could not be delivered), every asynchronously invoked function an on-failure destination
 * (invocations that failed after Lambda's retries), and an alarm fires when the queue holds any.
 */
let stack: DeploymentStageStack;
let template: Template;
let queue: string;

const resources = () => template.toJSON()['Resources'] as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const rules = () => Object.entries(resources()).filter(([, resource]) => resource.Type === 'AWS::Events::Rule');
const queueArn = () => ({ 'Fn::GetAtt': [queue, 'Arn'] });
/** The functions EventBridge invokes (asynchronously): the targets of every rule. */
const ASYNC_FUNCTIONS = ['start-pipeline', 'stack-job-watcher', 'reconcile-execution'];

beforeAll(() => {
  ({ stack, template } = synthesize());
  queue = logicalId(stack, stack.asyncFailures.queue);
});

describe('the dead-letter queue', () => {
  it('is the only queue: encrypted (SSE-SQS), TLS only, keeping messages 14 days', () => {
    const queues = Object.entries(resources()).filter(([, resource]) => resource.Type === 'AWS::SQS::Queue');
    expect(queues.map(([id]) => id)).toEqual([queue]);
    expect(queues[0]![1].Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    const policies = Object.values(resources()).filter((resource) => resource.Type === 'AWS::SQS::QueuePolicy');
    const statements = policies.flatMap((policy) => (policy.Properties['PolicyDocument'] as { Statement: { Effect: string; Condition?: unknown; Principal?: unknown; Action: unknown }[] }).Statement);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('is named in the stack outputs (URL and ARN)', () => {
    const outputs = template.toJSON()['Outputs'] as Record<string, { Value: unknown }>;
    expect(outputs['DeadLetterQueueUrl']!.Value).toEqual({ Ref: queue });
    expect(outputs['DeadLetterQueueArn']!.Value).toEqual(queueArn());
  });

  it('raises an alarm as soon as one message is visible', () => {
    // The queue's alarms (the others, on executions and functions, are Observability's).
    const alarms = Object.values(resources()).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm' && resource.Properties['Namespace'] === 'AWS/SQS');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('EventBridge rule targets', () => {
  it('every target of every rule has the dead-letter queue and a retry policy', () => {
    expect(rules().length).toBe(4);
    for (const [id, rule] of rules()) {
      for (const target of rule.Properties['Targets'] as { DeadLetterConfig?: { Arn: unknown }; RetryPolicy?: unknown }[]) {
        expect(target.DeadLetterConfig, id).toEqual({ Arn: queueArn() });
        expect(target.RetryPolicy, id).toBeDefined();
      }
    }
  });

  it('EventBridge may send to the queue only from these rules', () => {
    const policies = Object.values(resources()).filter((resource) => resource.Type === 'AWS::SQS::QueuePolicy');
    const statements = policies.flatMap((policy) => (policy.Properties['PolicyDocument'] as { Statement: { Effect: string; Principal?: { Service?: string }; Condition?: { ArnEquals?: Record<string, unknown> } }[] }).Statement);
    const fromEvents = statements.filter((statement) => statement.Effect === 'Allow' && statement.Principal?.Service === 'events.amazonaws.com');
    const sources = fromEvents.map((statement) => renderResource(statement.Condition?.ArnEquals?.['aws:SourceArn']));
    expect(sources.sort()).toEqual(rules().map(([id]) => `<${id}.Arn>`).sort());
  });
});

describe('asynchronously invoked functions', () => {
  const invokeConfigs = () => Object.values(resources()).filter((resource) => resource.Type === 'AWS::Lambda::EventInvokeConfig');

  it('send a failed invocation, after two retries, to the dead-letter queue', () => {
    const configured = invokeConfigs().map((config) => config.Properties);
    const names = configured.map((config) => Object.entries(stack.functions).find(([, construct]) => JSON.stringify(config['FunctionName']).includes(logicalId(stack, construct.function)))?.[0]);
    expect(names.sort()).toEqual([...ASYNC_FUNCTIONS].sort());
    for (const config of configured) {
      expect(config).toMatchObject({ Qualifier: '$LATEST', MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: queueArn() } } });
    }
  });

  it('are exactly the targets of the rules', () => {
    const targets = rules().flatMap(([, rule]) => (rule.Properties['Targets'] as { Arn: unknown }[]).map((target) => renderResource(target.Arn)));
    const expected = ASYNC_FUNCTIONS.map((name) => `<${logicalId(stack, stack.functions[name]!.function)}.Arn>`);
    expect([...new Set(targets)].sort()).toEqual(expected.sort());
  });

  it('may send messages to the queue, and nobody else may (but EventBridge, by the queue policy)', () => {
    const senders = allowStatements(template).filter(({ statement }) => asArray(statement.Action).some((action) => action.startsWith('sqs:')));
    const role = (name: string) => logicalId(stack, stack.functions[name]!.role);
    expect(new Set(senders.flatMap(({ roles }) => roles))).toEqual(new Set(ASYNC_FUNCTIONS.map(role)));
    for (const { statement } of senders) {
      expect(asArray(statement.Resource).map(renderResource)).toEqual([`<${queue}.Arn>`]);
      expect(asArray(statement.Action).every((action) => ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'].includes(action))).toBe(true);
    }
  });
});
