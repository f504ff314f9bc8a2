import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { allowStatements, asArray, logicalId, PRODUCTION_ROLE, renderResource, STAGING_ROLE, synthesize } from './harness.js';

let stack: DeploymentStageStack;
let template: Template;
let runnerRole: string;

/** Actions AWS defines without resource-level permissions, added by CDK for logging and tracing. */
const RESOURCELESS_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

const statementsWith = (action: string) =>
  allowStatements(template).filter(({ statement }) => asArray(statement.Action).some((candidate) => candidate === action || (candidate.endsWith('*') && action.startsWith(candidate.slice(0, -1)))));
const resources = (statement: { Resource: unknown }) => asArray(statement.Resource).map(renderResource);

beforeAll(() => {
  ({ stack, template } = synthesize());
  runnerRole = logicalId(stack, stack.stackJobs.role);
});

describe('IAM', () => {
  it('lets only the runner read stageline/<org>/* secrets and /stageline/<org>/* parameters', () => {
    const secretReads = statementsWith('secretsmanager:GetSecretValue');
    const orgSecrets = secretReads.filter(({ statement }) => resources(statement).some((resource) => resource.includes(':secret:stageline/')));
    expect(orgSecrets.map(({ roles }) => roles)).toEqual([[runnerRole]]);
    expect(resources(orgSecrets[0]!.statement)).toEqual([expect.stringMatching(/^arn:.*:secretsmanager:.*:secret:stageline\/acme\/\*$/)]);
    // Every other secret read names the approval keyring itself.
    const keyring = `<${logicalId(stack, stack.approvals.keyring)}>`;
    for (const { statement } of secretReads.filter((entry) => !orgSecrets.includes(entry))) expect(resources(statement)).toEqual([keyring]);

    const parameterReads = [...statementsWith('ssm:GetParameter'), ...statementsWith('ssm:GetParameters'), ...statementsWith('ssm:GetParametersByPath')];
    expect(new Set(parameterReads.flatMap(({ roles }) => roles))).toEqual(new Set([runnerRole]));
    for (const { statement } of parameterReads) for (const resource of resources(statement)) expect(resource).toMatch(/:parameter\/stageline\/acme\/\*$/);
  });

  it('scopes every task callback (SendTaskSuccess/Failure/Heartbeat) to the state machine', () => {
    const stateMachine = `<${logicalId(stack, stack.workflow.stateMachine)}>`;
    const callbacks = ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'].flatMap(statementsWith);
    expect(callbacks.length).toBeGreaterThan(0);
    for (const { statement } of callbacks) expect(resources(statement)).toEqual([stateMachine]);
    const holders = (action: string) => new Set(statementsWith(action).flatMap(({ roles }) => roles));
    const role = (construct: { role: object }) => logicalId(stack, construct.role as never);
    expect(holders('states:SendTaskSuccess')).toEqual(new Set([runnerRole, role(stack.functions['approval']!)]));
    expect(holders('states:SendTaskFailure')).toEqual(
      new Set([runnerRole, role(stack.functions['approval']!), role(stack.functions['start-pipeline']!), role(stack.functions['stack-job-watcher']!)]),
    );
    expect(holders('states:SendTaskHeartbeat')).toEqual(new Set([runnerRole]));
  });

  it('grants no wildcard action and no Resource "*" on data', () => {
    for (const { statement, policy } of allowStatements(template)) {
      for (const action of asArray(statement.Action)) expect(action, policy).not.toMatch(/^\*$|:\*$/);
      if (asArray(statement.Resource).includes('*')) {
        for (const action of asArray(statement.Action)) expect(RESOURCELESS_ACTIONS, `${policy}: ${action} on *`).toContain(action);
      }
    }
  });

  // Regression: the runner takes, renews and releases the environment lease
  // (locks/<org>/<env>/<service>.json, GetObject/PutObject/DeleteObject); it had no grant on locks/.
  it('lets only the runner, which releases environment leases, delete objects, and only under locks/', () => {
    const bucket = logicalId(stack, stack.storage.bucket);
    const deletes = statementsWith('s3:DeleteObject');
    expect(new Set(deletes.flatMap(({ roles }) => roles))).toEqual(new Set([runnerRole]));
    for (const { statement } of deletes) expect(resources(statement)).toEqual([`<${bucket}.Arn>/locks/*`]);
    // No other form of delete (versions, bulk) for anyone.
    for (const { statement } of allowStatements(template)) for (const action of asArray(statement.Action)) expect(action).not.toMatch(/^s3:Delete(?!Object$)/);
  });

  it('lets the runner read and write the environment leases under locks/, and no function', () => {
    const bucket = logicalId(stack, stack.storage.bucket);
    for (const action of ['s3:GetObject', 's3:PutObject']) {
      const onLocks = statementsWith(action).filter(({ statement }) => resources(statement).includes(`<${bucket}.Arn>/locks/*`));
      expect(new Set(onLocks.flatMap(({ roles }) => roles)), action).toEqual(new Set([runnerRole]));
    }
  });

  it('lets the runner assume exactly the environment roles of the organization', () => {
    const assumes = statementsWith('sts:AssumeRole');
    expect(assumes.map(({ roles }) => roles)).toEqual([[runnerRole]]);
    expect(resources(assumes[0]!.statement).sort()).toEqual([PRODUCTION_ROLE, STAGING_ROLE].sort());
  });

  it('lets nobody assume anything when no environment names a role', () => {
    const { template: plain } = synthesize({ environmentRoleArns: {} });
    const assumes = allowStatements(plain).filter(({ statement }) => asArray(statement.Action).some((action) => action.startsWith('sts:')));
    expect(assumes).toEqual([]);
  });

  it('lets the stack-job watcher read and write runs/, fail tasks of the state machine and dead-letter its failures, nothing else', () => {
    const watcher = logicalId(stack, stack.stackJobs.watcher.role);
    const bucket = logicalId(stack, stack.storage.bucket);
    const stateMachine = `<${logicalId(stack, stack.workflow.stateMachine)}>`;
    const granted = allowStatements(template)
      .filter(({ roles }) => roles.includes(watcher))
      .flatMap(({ statement }) => asArray(statement.Action).map((action) => `${action} ${resources(statement).join(' ')}`));
    // Its failed invocations go to the dead-letter queue (on-failure destination), nowhere else.
    const deadLetters = `<${logicalId(stack, stack.asyncFailures.queue)}.Arn>`;
    for (const grant of granted.filter((entry) => entry.startsWith('sqs:'))) expect(grant.split(' ').slice(1)).toEqual([deadLetters]);
    expect(granted.filter((grant) => !grant.startsWith('logs:') && !grant.startsWith('sqs:')).sort()).toEqual(
      [`s3:GetObject <${bucket}.Arn>/runs/*`, `s3:ListBucket <${bucket}.Arn>`, `s3:PutObject <${bucket}.Arn>/runs/*`, `states:SendTaskFailure ${stateMachine}`].sort(),
    );
    // Its own log group only.
    const logGroup = `<${logicalId(stack, stack.stackJobs.watcher.node.findChild('Logs') as never)}.Arn>`;
    for (const grant of granted.filter((entry) => entry.startsWith('logs:'))) expect(grant.split(' ').slice(1)).toEqual([logGroup]);
  });

  it('lets only the runner write deployed/ and outputs/', () => {
    const writers = (prefix: string) =>
      new Set(statementsWith('s3:PutObject').filter(({ statement }) => resources(statement).some((resource) => resource.endsWith(`/${prefix}*`))).flatMap(({ roles }) => roles));
    expect(writers('deployed/')).toEqual(new Set([runnerRole]));
    expect(writers('outputs/')).toEqual(new Set([runnerRole]));
  });
});
