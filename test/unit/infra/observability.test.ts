import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { FUNCTION_NAMES } from '../../../lib/infra/functions.js';
import { logicalId, synthesize } from './harness.js';

/** Alarms, the dashboard and the functions' logging settings: invariants, not a snapshot. */
let stack: DeploymentStageStack;
let template: Template;

type Resource = { Type: string; Properties: Record<string, any> };
const resources = () => template.toJSON()['Resources'] as Record<string, Resource>;
const alarms = () => Object.entries(resources()).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm');
const functionResources = () => Object.entries(resources()).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties['Environment']?.Variables?.BUCKET_NAME);
const metricsOf = (alarm: Resource) => (alarm.Properties['Metrics'] ?? []) as { Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] }; Stat: string } }[];

beforeAll(() => {
  ({ stack, template } = synthesize());
});

describe('alarms', () => {
  it('one alarm watches the state machine executions that failed, timed out or were aborted', () => {
    const stateMachine = logicalId(stack, stack.workflow.stateMachine);
    const watching = alarms().filter(([, alarm]) => metricsOf(alarm).some((metric) => metric.MetricStat?.Metric.Namespace === 'AWS/States'));
    expect(watching).toHaveLength(1);
    const metrics = metricsOf(watching[0]![1]);
    expect(metrics.find((metric) => metric.Expression)?.Expression).toBe('failed + timedOut + aborted');
    const watched = metrics.filter((metric) => metric.MetricStat).map((metric) => metric.MetricStat!);
    expect(watched.map((stat) => stat.Metric.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const stat of watched) {
      expect(stat.Stat).toBe('Sum');
      expect(stat.Metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: stateMachine } }]);
    }
    expect(watching[0]![1].Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
  });

  it('one alarm per function watches its Errors', () => {
    const errorAlarms = alarms().filter(([, alarm]) => alarm.Properties['Namespace'] === 'AWS/Lambda' && alarm.Properties['MetricName'] === 'Errors');
    const watched = errorAlarms.map(([, alarm]) => (alarm.Properties['Dimensions'] as { Name: string; Value: { Ref: string } }[]).find((dimension) => dimension.Name === 'FunctionName')!.Value.Ref);
    const expected = FUNCTION_NAMES.map((name) => logicalId(stack, stack.functions[name]!.function));
    expect(watched.sort()).toEqual([...expected].sort());
    for (const [, alarm] of errorAlarms) expect(alarm.Properties).toMatchObject({ Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
  });

  it('the dead-letter queue has exactly one alarm (AsyncFailures\'), not a second one', () => {
    const queue = logicalId(stack, stack.asyncFailures.queue);
    const onQueue = alarms().filter(([, alarm]) => alarm.Properties['Namespace'] === 'AWS/SQS' && alarm.Properties['MetricName'] === 'ApproximateNumberOfMessagesVisible');
    expect(onQueue.map(([id]) => id)).toEqual([logicalId(stack, stack.asyncFailures.alarm)]);
    expect(onQueue[0]![1].Properties['Dimensions']).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }]);
  });

  it('no alarm has an action unless stageline:alarmTopicArn names a topic; then every alarm notifies it', () => {
    for (const [, alarm] of alarms()) expect(alarm.Properties['AlarmActions']).toBeUndefined();
    const topic = 'arn:aws:sns:eu-west-1:111111111111:ops-pager';
    const { template: notifying } = synthesize({}, { 'stageline:alarmTopicArn': topic });
    const all = Object.values(notifying.findResources('AWS::CloudWatch::Alarm'));
    expect(all.length).toBe(FUNCTION_NAMES.length + 2);
    for (const alarm of all) expect(alarm['Properties'].AlarmActions).toEqual([topic]);
    expect(() => synthesize({}, { 'stageline:alarmTopicArn': 'ops-pager' })).toThrow(/stageline:alarmTopicArn: expected an SNS topic ARN/);
  });

  it('every alarm says what it means', () => {
    for (const [, alarm] of alarms()) expect(alarm.Properties['AlarmDescription']).toMatch(/^Stageline: /);
  });
});

describe('the dashboard', () => {
  const body = () => {
    const dashboards = Object.values(resources()).filter((resource) => resource.Type === 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    // The body is an Fn::Join of text and tokens: the literal parts are enough to read.
    const parts = (dashboards[0]!.Properties['DashboardBody'] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    return parts.map((part) => (typeof part === 'string' ? part : '<token>')).join('');
  };

  it('shows runs, executions, function errors, throttles and duration, the dead-letter queue and Stageline\'s own metrics', () => {
    const text = body();
    for (const title of ['Runs', 'Executions', 'Function errors', 'Function throttles', 'Function duration', 'Dead-letter queue depth', 'Environment deploy duration', 'Approval wait', 'Stack-job duration', 'Alarms']) {
      expect(text).toContain(`"title":"${title}`);
    }
    for (const name of ['RunsStarted', 'RunsSucceeded', 'RunsFailed']) expect(text).toContain(`{Stageline,service} MetricName=\\"${name}\\"`);
    for (const name of ['EnvironmentDeployDuration', 'ApprovalWait', 'StackJobDuration']) expect(text).toContain(`{Stageline,environment,service} MetricName=\\"${name}\\"`);
    for (const metric of ['"AWS/States","ExecutionsFailed"', '"AWS/Lambda","Errors"', '"AWS/Lambda","Throttles"', '"AWS/Lambda","Duration"', '"AWS/SQS","ApproximateNumberOfMessagesVisible"']) expect(text).toContain(metric);
  });
});

describe('the functions\' logs', () => {
  it('every function gets its log level (INFO by default) and the execution ARN prefix', () => {
    const functions = functionResources();
    expect(functions).toHaveLength(FUNCTION_NAMES.length);
    for (const [, fn] of functions) {
      const variables = fn.Properties['Environment'].Variables as Record<string, unknown>;
      expect(variables['POWERTOOLS_LOG_LEVEL']).toBe('INFO');
      expect(JSON.stringify(variables['STAGELINE_EXECUTION_ARN_PREFIX'])).toContain(':execution:Stageline-DeploymentStage:');
    }
  });

  it('the level comes from the stageline:logLevel context key, and a wrong one fails the synthesis', () => {
    const { template: debug } = synthesize({}, { 'stageline:logLevel': 'debug' });
    const levels = Object.values(debug.findResources('AWS::Lambda::Function')).map((fn) => fn['Properties']?.Environment?.Variables?.POWERTOOLS_LOG_LEVEL).filter(Boolean);
    expect(new Set(levels)).toEqual(new Set(['DEBUG']));
    expect(() => synthesize({}, { 'stageline:logLevel': 'LOUD' })).toThrow(/stageline:logLevel: expected one of TRACE, DEBUG, INFO/);
  });
});
