import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { logicalId, renderResource, synthesize } from './harness.js';

interface State {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string };
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Next?: string;
  MaxConcurrency?: number;
  ItemProcessor?: { States: Record<string, State> };
  TimeoutSecondsPath?: string;
}

let stack: DeploymentStageStack;
let template: Template;
let states: Record<string, State>;
let properties: Record<string, unknown>;

/** The definition as Step Functions will see it: each `${Placeholder}` replaced by what CloudFormation substitutes. */
function substitutedDefinition(): { States: Record<string, State> } {
  const substitutions = properties['DefinitionSubstitutions'] as Record<string, unknown>;
  const text = (properties['DefinitionString'] as string).replace(/\$\{(\w+)\}/g, (placeholder, name: string) => {
    if (!(name in substitutions)) throw new Error(`no substitution for ${placeholder}`);
    return renderResource(substitutions[name]);
  });
  return JSON.parse(text) as { States: Record<string, State> };
}

beforeAll(() => {
  ({ stack, template } = synthesize());
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  expect(Object.keys(machines)).toHaveLength(1);
  properties = Object.values(machines)[0]!['Properties'] as Record<string, unknown>;
  states = substitutedDefinition().States;
});

describe('the deployment-stage workflow', () => {
  it('is a Standard workflow whose every placeholder is substituted', () => {
    expect(properties['StateMachineType']).toBe('STANDARD');
    expect(JSON.stringify(substitutedDefinition())).not.toMatch(/\$\{/);
  });

  it('deploys environments one at a time (Map MaxConcurrency 1)', () => {
    const map = states['Deploy environments in promotion order']!;
    expect(map.Type).toBe('Map');
    expect(map.MaxConcurrency).toBe(1);
  });

  it('waits for a task token at approval gates and stack jobs, each with a timeout', () => {
    const inner = states['Deploy environments in promotion order']!.ItemProcessor!.States;
    for (const name of ['Wait for approval', 'Run stack job']) {
      expect(inner[name]!.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(inner[name]!.TimeoutSecondsPath).toMatch(/^\$\.Payload\.task\./);
    }
  });

  it('invokes the function deployed for each step', () => {
    const inner = states['Deploy environments in promotion order']!.ItemProcessor!.States;
    const arnOf = (construct: { function: { node: { defaultChild?: unknown } } }) => `<${logicalId(stack, construct.function)}.Arn>`;
    expect(states['Resolve manifests']!.Parameters!.FunctionName).toBe(arnOf(stack.functions['resolve-manifests']!));
    expect(states['Create deployment tasks']!.Parameters!.FunctionName).toBe(arnOf(stack.functions['create-deployment-tasks']!));
    expect(inner['Wait for approval']!.Parameters!.FunctionName).toBe(arnOf(stack.functions['request-approval']!));
    expect(inner['Run stack job']!.Parameters!.FunctionName).toBe(arnOf(stack.functions['launch-stack-job']!));
    expect(states['Cancel remaining environments']!.Parameters!.FunctionName).toBe(arnOf(stack.functions['cancel-remaining']!));
    expect(states['Record success']!.Parameters!.FunctionName).toBe(arnOf(stack.functions['record-success']!));
  });

  it('leads every failure to "Cancel remaining environments", then to a Fail state', () => {
    for (const name of ['Resolve manifests', 'Create deployment tasks', 'Deploy environments in promotion order']) {
      expect(states[name]!.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Cancel remaining environments' })]);
    }
    expect(states[states['Cancel remaining environments']!.Next!]!.Type).toBe('Fail');
  });

  it('logs every transition without execution data, and traces with X-Ray', () => {
    expect(properties['LoggingConfiguration']).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(properties['TracingConfiguration']).toEqual({ Enabled: true });
  });

  // Regression: a log group outside /aws/vendedlogs/ makes Step Functions add an entry to the
  // account's CloudWatch Logs resource policy (5120 characters, shared by every vended log).
  it('logs to a group named under /aws/vendedlogs/states/', () => {
    const destinations = (properties['LoggingConfiguration'] as { Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }[] }).Destinations;
    expect(destinations).toHaveLength(1);
    const [group] = destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'];
    const name = template.toJSON()['Resources'][group]['Properties']['LogGroupName'];
    expect(name).toBe(`/aws/vendedlogs/states/${properties['StateMachineName'] as string}`);
  });

  it('lets the workflow role invoke exactly the six step functions', () => {
    const role = (properties['RoleArn'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy['Properties'] as { Roles: { Ref: string }[] }).Roles.some((ref) => ref.Ref === role),
    );
    const invoke = policies
      .flatMap((policy) => (policy['Properties'] as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }).PolicyDocument.Statement)
      .filter((statement) => [statement.Action].flat().includes('lambda:InvokeFunction'));
    const resources = invoke.flatMap((statement) => [statement.Resource].flat().map(renderResource)).sort();
    const expected = ['resolve-manifests', 'create-deployment-tasks', 'request-approval', 'launch-stack-job', 'cancel-remaining', 'record-success']
      .map((name) => `<${logicalId(stack, stack.functions[name]!.function)}.Arn>`)
      .sort();
    expect(resources).toEqual(expected);
  });
});
