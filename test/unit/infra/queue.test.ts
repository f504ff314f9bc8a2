import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { STARTS_QUEUED_RUNS } from '../../../lib/infra/functions.js';
import { deploymentStageStateMachineName } from '../../../lib/infra/workflow.js';
import { allowStatements, asArray, buildStack, logicalId, renderResource, synthesize } from './harness.js';

/** `concurrency: queue` in AWS: the functions that end runs (the final workflow steps, reconcile-execution) start the next queued run (StartExecution). */
let stack: DeploymentStageStack;
let template: Template;

const resource = (name: string) => template.toJSON()['Resources'][logicalId(stack, stack.functions[name]!.function)]['Properties'] as { Environment: { Variables: Record<string, unknown> } };
const stateMachineProperties = () => Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]!['Properties'] as Record<string, unknown>;
/** The ARN the final steps are given, rendered (`arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:<name>`). */
const expectedArn = () => `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${deploymentStageStateMachineName(stack)}`;

beforeAll(() => {
  ({ stack, template } = synthesize());
});

describe('queued runs in AWS', () => {
  it('names the state machine after the stack, so its ARN is known without referencing it', () => {
    expect(stateMachineProperties()['StateMachineName']).toBe('Stageline-DeploymentStage');
    // Long stack names are shortened to Step Functions' 80 characters, kept unique by a hash.
    const { stack: long } = buildStack({ stackName: `Stageline-${'x'.repeat(100)}` });
    const name = deploymentStageStateMachineName(long);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^Stageline-x+-[0-9a-f]{8}-DeploymentStage$/);
  });

  it('gives record-success, cancel-remaining and reconcile-execution STATE_MACHINE_ARN, built from that name (no reference, no cycle)', () => {
    expect([...STARTS_QUEUED_RUNS].sort()).toEqual(['cancel-remaining', 'reconcile-execution', 'record-success']);
    for (const name of STARTS_QUEUED_RUNS) {
      const value = resource(name).Environment.Variables['STATE_MACHINE_ARN'];
      expect(renderResource(value), name).toBe(expectedArn());
      // Not the state machine's Ref: the definition references these functions' ARNs.
      expect(JSON.stringify(value)).not.toContain(logicalId(stack, stack.workflow.stateMachine));
    }
  });

  it('grants states:StartExecution on that state machine only, to start-pipeline and the functions that end runs only', () => {
    const starts = allowStatements(template).filter(({ statement }) => asArray(statement.Action).some((action) => action === 'states:StartExecution' || action === 'states:*'));
    const role = (name: string) => logicalId(stack, stack.functions[name]!.role);
    const holders = new Set(starts.flatMap(({ roles }) => roles));
    expect(holders).toEqual(new Set(['start-pipeline', 'record-success', 'cancel-remaining', 'reconcile-execution'].map(role)));
    for (const { roles, statement } of starts) {
      const resources = asArray(statement.Resource).map(renderResource);
      if (roles.includes(role('start-pipeline'))) expect(resources).toEqual([`<${logicalId(stack, stack.workflow.stateMachine)}>`]);
      else expect(resources).toEqual([expectedArn()]);
      expect(asArray(statement.Action)).toEqual(['states:StartExecution']);
    }
  });

  it('synthesizes with no circular dependency (CloudFormation would refuse the template)', () => {
    // Template.fromStack (beforeAll) already refuses a cyclic template; this names the edge if one appears.
    const resources = template.toJSON()['Resources'] as Record<string, { DependsOn?: string | string[] } & Record<string, unknown>>;
    const edges = new Map(Object.entries(resources).map(([id, body]) => [id, referencesOf(body, resources)]));
    const machine = logicalId(stack, stack.workflow.stateMachine);
    // The state machine depends on the final steps (its definition names their ARNs) ...
    for (const name of ['record-success', 'cancel-remaining']) expect(reachable(edges, machine).has(logicalId(stack, stack.functions[name]!.function))).toBe(true);
    // ... and nothing the state machine depends on depends on it, nor does any resource on itself.
    for (const id of edges.keys()) expect(reachable(edges, id).has(id), `cycle through ${id}`).toBe(false);
  });
});

/** Logical ids a resource refers to: Ref, Fn::GetAtt, Fn::Sub ${Id} and DependsOn. */
function referencesOf(body: Record<string, unknown>, resources: Record<string, unknown>): Set<string> {
  const found = new Set<string>(asArray(body['DependsOn'] ?? []) as string[]);
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string' && inner in resources) found.add(inner);
      else if (key === 'Fn::GetAtt') found.add(asArray(inner as string | string[])[0]!.split('.')[0]!);
      else if (key === 'Fn::Sub') for (const match of JSON.stringify(inner).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) if (match[1]! in resources) found.add(match[1]!);
      visit(inner);
    }
  };
  visit(body['Properties']);
  return found;
}

/** Every resource reachable from `from` through references (not including `from` unless there is a cycle). */
function reachable(edges: Map<string, Set<string>>, from: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(edges.get(from) ?? [])];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(edges.get(id) ?? []));
  }
  return seen;
}
