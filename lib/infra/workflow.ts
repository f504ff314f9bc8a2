import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { acknowledge } from './nag.js';

/** The Lambda behind each `${...FunctionArn}` placeholder of the ASL file. */
export interface WorkflowFunctions {
  readonly resolveManifests: IFunction;
  readonly createDeploymentTasks: IFunction;
  readonly requestApproval: IFunction;
  readonly launchStackJob: IFunction;
  readonly cancelRemaining: IFunction;
  readonly recordSuccess: IFunction;
}

export interface WorkflowProps {
  /** `statemachine/deployment-stage.asl.json`: the single source of truth, shared with local mode. */
  readonly definitionFile: string;
  readonly functions: WorkflowFunctions;
  readonly logRetention: RetentionDays;
}

const NAME_SUFFIX = '-DeploymentStage';
const MAX_NAME_LENGTH = 80;

/**
 * The state machine's fixed name, derived from the stack name (`<stack>-DeploymentStage`; a long
 * stack name is shortened and made unique by a hash). Fixed so that functions the state machine
 * invokes can name its ARN without referencing it (see {@link deploymentStageStateMachineArn}).
 */
export function deploymentStageStateMachineName(scope: Construct): string {
  const stackName = Stack.of(scope).stackName;
  const name = `${stackName}${NAME_SUFFIX}`;
  if (name.length <= MAX_NAME_LENGTH) return name;
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  return `${stackName.slice(0, MAX_NAME_LENGTH - NAME_SUFFIX.length - hash.length - 1)}-${hash}${NAME_SUFFIX}`;
}

/**
 * The state machine's ARN built from its fixed name (partition, region and account of the stack),
 * for the record-success and cancel-remaining functions: they start the next queued run, and the
 * state machine's definition references their ARNs, so `stateMachine.stateMachineArn` in their
 * environment would be a CloudFormation circular dependency.
 */
export function deploymentStageStateMachineArn(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: deploymentStageStateMachineName(scope),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * The deployment-stage state machine (Standard: runs wait days at approval gates), loaded from
 * the ASL file with the function ARNs substituted.
 */
export class Workflow extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const { functions } = props;
    const stateMachineName = deploymentStageStateMachineName(this);
    // Under /aws/vendedlogs/: Step Functions then needs no entry in the account's CloudWatch Logs
    // resource policy (5120 characters shared by every vended log; a busy account runs out).
    // Named after the state machine, which is unique per stack name.
    const logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      // The file's text inline (DefinitionString), not DefinitionBody.fromFile: in this CDK
      // version fromFile uploads the file as an S3 asset, which hides definition changes from
      // `cdk diff` and change sets. The file stays the single source of truth either way.
      definitionBody: DefinitionBody.fromString(readFileSync(props.definitionFile, 'utf8')),
      definitionSubstitutions: {
        ResolveManifestsFunctionArn: functions.resolveManifests.functionArn,
        CreateDeploymentTasksFunctionArn: functions.createDeploymentTasks.functionArn,
        RequestApprovalFunctionArn: functions.requestApproval.functionArn,
        LaunchStackJobFunctionArn: functions.launchStackJob.functionArn,
        CancelRemainingFunctionArn: functions.cancelRemaining.functionArn,
        RecordSuccessFunctionArn: functions.recordSuccess.functionArn,
      },
      // Every state transition is logged, never its input or output: payloads carry keys and
      // digests only, and logs must not become a second copy of the history (DESIGN §5).
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // The ASL names functions by unqualified ARN, so the role needs exactly those ARNs
    // (fn.grantInvoke would add `<arn>:*` for every version and alias).
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: Object.values(functions).map((fn: IFunction) => fn.functionArn) }),
    );
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy') ?? this.stateMachine.role;
    acknowledge(
      policy,
      'AwsSolutions-IAM5[Resource::*]',
      'Added by CDK for tracing and log delivery: X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* and CloudWatch Logs vended-delivery actions (CreateLogDelivery, ListLogDeliveries, ...) support no resource-level permissions. No data action is granted on *.',
    );
  }
}
