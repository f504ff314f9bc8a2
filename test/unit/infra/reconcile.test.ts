import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { FUNCTION_NAMES, FUNCTION_OBJECT_ACCESS } from '../../../lib/infra/functions.js';
import { deploymentStageStateMachineName } from '../../../lib/infra/workflow.js';
import { allowStatements, asArray, logicalId, renderResource, synthesize } from './harness.js';

/** Executions that end outside the Catch reach reconcile-execution through an EventBridge rule. */
let stack: DeploymentStageStack;
let template: Template;

const rule = () => template.toJSON()['Resources'][logicalId(stack, stack.reconciler.rule)]['Properties'] as { EventPattern: Record<string, unknown>; Targets: { Arn: unknown }[] };

beforeAll(() => {
  ({ stack, template } = synthesize());
});

describe('reconciling executions that end outside the Catch', () => {
  it('matches FAILED, TIMED_OUT and ABORTED executions of this state machine only', () => {
    expect(rule().EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: logicalId(stack, stack.workflow.stateMachine) }] },
    });
  });

  it('targets the reconcile-execution function, which EventBridge may invoke from this rule only', () => {
    const fn = logicalId(stack, stack.functions['reconcile-execution']!.function);
    expect(FUNCTION_NAMES).toContain('reconcile-execution');
    expect(rule().Targets.map((target) => target.Arn)).toEqual([{ 'Fn::GetAtt': [fn, 'Arn'] }]);
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((permission) => JSON.stringify(permission['Properties']['FunctionName']).includes(fn));
    expect(permissions.map((permission) => permission['Properties'])).toEqual([
      expect.objectContaining({ Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [logicalId(stack, stack.reconciler.rule), 'Arn'] } }),
    ]);
  });

  it('gives the function least privilege: runs/ and approvals/, StartExecution on the state machine, its log group, the DLQ', () => {
    expect(FUNCTION_OBJECT_ACCESS['reconcile-execution']).toEqual({ read: ['runs/', 'approvals/'], write: ['runs/', 'approvals/'] });
    const role = logicalId(stack, stack.functions['reconcile-execution']!.role);
    const bucket = logicalId(stack, stack.storage.bucket);
    const granted = allowStatements(template)
      .filter(({ roles }) => roles.includes(role))
      .flatMap(({ statement }) => asArray(statement.Action).map((action) => `${action} ${asArray(statement.Resource).map(renderResource).join(' ')}`))
      .filter((grant) => !grant.startsWith('logs:') && !grant.startsWith('sqs:'));
    const stateMachine = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${deploymentStageStateMachineName(stack)}`;
    expect(granted.sort()).toEqual(
      [
        `s3:GetObject <${bucket}.Arn>/runs/* <${bucket}.Arn>/approvals/*`,
        `s3:ListBucket <${bucket}.Arn>`,
        `s3:PutObject <${bucket}.Arn>/runs/* <${bucket}.Arn>/approvals/*`,
        `states:StartExecution ${stateMachine}`,
      ].sort(),
    );
  });

  it('tells the function which state machine is its own', () => {
    const variables = (template.toJSON()['Resources'][logicalId(stack, stack.functions['reconcile-execution']!.function)]['Properties'] as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(renderResource(variables['STATE_MACHINE_ARN'])).toBe(`arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${deploymentStageStateMachineName(stack)}`);
    expect(Object.keys(variables).sort()).toEqual(['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'BUCKET_NAME', 'POWERTOOLS_LOG_LEVEL', 'STAGELINE_EXECUTION_ARN_PREFIX', 'STATE_MACHINE_ARN']);
  });
});
