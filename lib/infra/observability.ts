import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IProject } from 'aws-cdk-lib/aws-codebuild';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FigureName } from '../pipeline/workflow/run-figures.js';

/** The CloudWatch namespace the functions publish Stageline's own metrics in (EMF). */
export const STAGELINE_METRICS_NAMESPACE = 'Stageline';

/** Powertools Logger levels (POWERTOOLS_LOG_LEVEL). */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/** The functions' log level: cdk.json context `stageline:logLevel` (any case), INFO by default. */
export function logLevel(scope: Construct): string {
  const value: unknown = scope.node.tryGetContext('stageline:logLevel') ?? 'INFO';
  const level = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`stageline:logLevel: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return level;
}

/** `arn:<partition>:states:<region>:<account>:execution:<stateMachineName>:`: a run id (the execution's name) appended names its execution. */
export function executionArnPrefix(scope: Construct, stateMachineName: string): string {
  return Stack.of(scope).formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachineName}:`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/**
 * Where the alarms notify: cdk.json context `stageline:alarmTopicArn`, an SNS topic of yours
 * (paging, email, chat). Unset: the alarms have no action (the dashboard and the console show them).
 */
export function alarmTopicArn(scope: Construct): string | undefined {
  const value: unknown = scope.node.tryGetContext('stageline:alarmTopicArn');
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(value)) {
    throw new Error(`stageline:alarmTopicArn: expected an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got ${JSON.stringify(value)}`);
  }
  return value;
}

export interface ObservabilityProps {
  readonly stateMachine: IStateMachine;
  /** Every Stageline function, by its name ('start-pipeline', …). */
  readonly functions: Record<string, { readonly function: IFunction }>;
  /** The dead-letter queue and its alarm (AsyncFailures): shown on the dashboard, not alarmed twice. */
  readonly deadLetterQueue: IQueue;
  readonly deadLetterAlarm: Alarm;
  /** The stack-job runner's CodeBuild project. */
  readonly stackJobProject: IProject;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * What an operator sees of the deployment stage (docs/aws.md, "Logs, metrics, alarms and the
 * dashboard"): an alarm on executions that failed, timed out or were aborted; an alarm per
 * function on its errors (the dead-letter queue's alarm is AsyncFailures'); and one dashboard with
 * the runs, the executions, the functions, the dead-letter queue and Stageline's own metrics.
 */
export class Observability extends Construct {
  readonly executionsAlarm: Alarm;
  readonly functionErrorAlarms: Record<string, Alarm>;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { stateMachine } = props;
    const stackName = Stack.of(this).stackName;

    const executionsEnded = new MathExpression({
      expression: 'failed + timedOut + aborted',
      usingMetrics: {
        failed: stateMachine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
        timedOut: stateMachine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
        aborted: stateMachine.metricAborted({ period: FIVE_MINUTES, statistic: 'Sum' }),
      },
      label: 'Executions failed, timed out or aborted',
      period: FIVE_MINUTES,
    });
    this.executionsAlarm = new Alarm(this, 'ExecutionsFailed', {
      alarmDescription:
        'Stageline: a deployment-stage execution failed, timed out or was aborted (a failed environment, a rejected or expired gate, or a workflow error). Check the run with `stageline status <run>` and the execution history (docs/aws.md, Alarms).',
      metric: executionsEnded,
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.functionErrorAlarms = {};
    for (const [name, { function: fn }] of Object.entries(props.functions)) {
      this.functionErrorAlarms[name] = new Alarm(this, `${pascal(name)}Errors`, {
        alarmDescription: `Stageline: the ${name} function failed (an error or a timeout). Read its log group: one JSON line per invocation, the error's name and message (docs/aws.md, Alarms).`,
        metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }

    const functions = Object.entries(props.functions);
    const perFunction = (metric: (fn: IFunction, label: string) => IMetric) => functions.map(([name, { function: fn }]) => metric(fn, name));
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${stackName}-deployment-stage`,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Stageline deployment stage (${stackName})\nRuns and environments are Stageline's own metrics (namespace \`${STAGELINE_METRICS_NAMESPACE}\`, dimensions \`service\` and \`environment\`), summed over services here. See docs/aws.md, "Logs, metrics, alarms and the dashboard".`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Runs',
        width: 12,
        left: [stagelineSum('RunsStarted', 'started'), stagelineSum('RunsSucceeded', 'succeeded'), stagelineSum('RunsFailed', 'failed'), stagelineSum('RunsCancelled', 'cancelled'), stagelineSum('RunsSuperseded', 'superseded')],
      }),
      new GraphWidget({
        title: 'Executions',
        width: 12,
        left: [
          stateMachine.metricStarted({ period: FIVE_MINUTES, label: 'started' }),
          stateMachine.metricSucceeded({ period: FIVE_MINUTES, label: 'succeeded' }),
          stateMachine.metricFailed({ period: FIVE_MINUTES, label: 'failed' }),
          stateMachine.metricTimedOut({ period: FIVE_MINUTES, label: 'timed out' }),
          stateMachine.metricAborted({ period: FIVE_MINUTES, label: 'aborted' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Environment deploy duration (s, by service and environment)', width: 8, left: [stagelineSearch('EnvironmentDeployDuration', 'Average')] }),
      new GraphWidget({ title: 'Approval wait (s)', width: 8, left: [stagelineSearch('ApprovalWait', 'Average')] }),
      new GraphWidget({
        title: 'Stack-job duration (s)',
        width: 8,
        left: [stagelineSearch('StackJobDuration', 'Average'), props.stackJobProject.metricDuration({ period: FIVE_MINUTES, statistic: 'Average', label: 'runner builds (CodeBuild)' })],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Function errors', width: 8, left: perFunction((fn, label) => fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum', label })) }),
      new GraphWidget({ title: 'Function throttles', width: 8, left: perFunction((fn, label) => fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum', label })) }),
      new GraphWidget({ title: 'Function duration (p99, ms)', width: 8, left: perFunction((fn, label) => fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label })) }),
    );
    const topicArn = alarmTopicArn(this);
    if (topicArn) {
      const action = new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', topicArn));
      for (const alarm of [this.executionsAlarm, props.deadLetterAlarm, ...Object.values(this.functionErrorAlarms)]) alarm.addAlarmAction(action);
    }

    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Dead-letter queue depth',
        width: 12,
        left: [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum', label: 'messages visible' })],
      }),
      new AlarmStatusWidget({
        title: 'Alarms',
        width: 12,
        alarms: [this.executionsAlarm, props.deadLetterAlarm, ...Object.values(this.functionErrorAlarms)],
      }),
    );
  }
}

/** One Stageline metric summed over every service and environment it is published for. */
function stagelineSum(name: FigureName, label: string): MathExpression {
  return new MathExpression({ expression: `SUM(${searchOf(name, 'Sum')})`, usingMetrics: {}, label, period: FIVE_MINUTES });
}

/** One line per service (and environment) a Stageline metric is published for. */
function stagelineSearch(name: FigureName, statistic: string): MathExpression {
  return new MathExpression({ expression: searchOf(name, statistic), usingMetrics: {}, label: '', period: FIVE_MINUTES });
}

/** Figures published per deployment environment (dimensions service and environment); the others per service. */
const PER_ENVIRONMENT: readonly FigureName[] = ['EnvironmentDeployDuration', 'EnvironmentsFailed', 'ApprovalWait', 'StackJobDuration'];

function searchOf(name: FigureName, statistic: string): string {
  const schema = PER_ENVIRONMENT.includes(name) ? `${STAGELINE_METRICS_NAMESPACE},environment,service` : `${STAGELINE_METRICS_NAMESPACE},service`;
  return `SEARCH('{${schema}} MetricName="${name}"', '${statistic}', 300)`;
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase());
}
