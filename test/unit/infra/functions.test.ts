import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { FUNCTION_NAMES } from '../../../lib/infra/functions.js';
import { logicalId, synthesize } from './harness.js';

let stack: DeploymentStageStack;
let template: Template;
const environmentOf = (name: string) =>
  (template.toJSON()['Resources'][logicalId(stack, stack.functions[name]!.function)]['Properties'] as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;

beforeAll(() => {
  ({ stack, template } = synthesize({ slackWebhookUrl: 'https://hooks.slack.example/T000/B000/XXXX' }));
});

describe('the Lambda functions', () => {
  it('are the Stageline entries (FUNCTION_NAMES), each on nodejs22.x with an index.handler', () => {
    expect(Object.keys(stack.functions).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const construct of Object.values(stack.functions)) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: { 'Fn::GetAtt': [logicalId(stack, construct.role), 'Arn'] },
      });
    }
    const runtimes = Object.values(stack.functions).map((construct) => template.toJSON()['Resources'][logicalId(stack, construct.function)]['Properties']['Runtime']);
    expect(runtimes).toEqual(Array(FUNCTION_NAMES.length).fill('nodejs22.x'));
  });

  it('all know the bucket; each gets exactly the variables it reads', () => {
    const bucket = { Ref: logicalId(stack, stack.storage.bucket) };
    for (const name of FUNCTION_NAMES) {
      expect(environmentOf(name)).toMatchObject({ BUCKET_NAME: bucket, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
    }
    expect(Object.keys(environmentOf('start-pipeline'))).toContain('STATE_MACHINE_ARN');
    expect(environmentOf('launch-stack-job')['STACK_JOB_PROJECT']).toEqual({ Ref: logicalId(stack, stack.stackJobs.project) });
    expect(Object.keys(environmentOf('request-approval')).sort()).toEqual(
      ['APPROVAL_KEY_SECRET_ARN', 'APPROVAL_URL', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'BUCKET_NAME', 'POWERTOOLS_LOG_LEVEL', 'SLACK_WEBHOOK_URL', 'STAGELINE_EXECUTION_ARN_PREFIX', 'TOPIC_ARN'],
    );
    expect(Object.keys(environmentOf('approval')).sort()).toEqual(['APPROVAL_KEY_SECRET_ARN', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'BUCKET_NAME', 'POWERTOOLS_LOG_LEVEL', 'STAGELINE_EXECUTION_ARN_PREFIX']);
    // The watcher answers with the task token it reads from the job: it needs no state machine ARN.
    expect(Object.keys(environmentOf('stack-job-watcher')).sort()).toEqual(['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'BUCKET_NAME', 'POWERTOOLS_LOG_LEVEL', 'STAGELINE_EXECUTION_ARN_PREFIX']);
  });

  it('publishes the approval page as a public function URL (links are signed)', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalId(stack, stack.functions['approval']!.function), 'Arn'] },
    });
    expect(Object.keys(template.findResources('AWS::Lambda::Url'))).toHaveLength(1);
  });

  it('subscribes the organization approvers to the approval topic', () => {
    const emails = Object.values(template.findResources('AWS::SNS::Subscription')).map((subscription) => subscription['Properties']['Endpoint']);
    expect(emails.sort()).toEqual(['lead@acme.io', 'ops@acme.io']);
  });

  // Regression: without a filter every approver received every approver's personal signed link.
  it('delivers each approver only the email published for them (filter on the approver attribute)', () => {
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).map((subscription) => subscription['Properties']);
    for (const subscription of subscriptions) {
      expect(subscription['FilterPolicy']).toEqual({ approver: [subscription['Endpoint']] });
    }
  });

  // Regression: reserving 10 by default failed the first deploy in a new account (its concurrency
  // quota is too small to reserve any: Lambda keeps 10 unreserved).
  it('reserves no concurrency for any function unless stageline:approvalReservedConcurrency is set', () => {
    const reserved = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) => fn['Properties']['ReservedConcurrentExecutions'] !== undefined);
    expect(reserved).toEqual([]);
  });

  it('caps the public approval function, and only it, when stageline:approvalReservedConcurrency is set', () => {
    const { stack: capped, template: cappedTemplate } = synthesize({}, { 'stageline:approvalReservedConcurrency': '5' });
    expect(capped.settings.approvalReservedConcurrency).toBe(5);
    const reserved = Object.entries(cappedTemplate.findResources('AWS::Lambda::Function')).filter(([, fn]) => fn['Properties']['ReservedConcurrentExecutions'] !== undefined);
    expect(reserved.map(([id, fn]) => [id, fn['Properties']['ReservedConcurrentExecutions']])).toEqual([[logicalId(capped, capped.functions['approval']!.function), 5]]);
    expect(() => synthesize({ approvalReservedConcurrency: 0 })).toThrow(/stageline:approvalReservedConcurrency: expected a positive whole number/);
  });

  it('keeps the signing keyring outside the stageline/<org>/ prefix the runner reads', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'stageline-approvals/acme/signing-keyring' });
    template.hasResourceProperties('Custom::StagelineSigningKeyring', { SecretId: { Ref: logicalId(stack, stack.approvals.keyring) } });
  });

  it('runs stack jobs in CodeBuild with the bucket name and `stageline stack-job run`', () => {
    const project = template.toJSON()['Resources'][logicalId(stack, stack.stackJobs.project)]['Properties'];
    expect(project.Environment.EnvironmentVariables).toContainEqual({ Name: 'STAGELINE_BUCKET', Type: 'PLAINTEXT', Value: { Ref: logicalId(stack, stack.storage.bucket) } });
    expect(project.Environment.PrivilegedMode).toBe(false);
    expect(project.Source.Type).toBe('S3');
    expect(project.Source.BuildSpec).toContain('npx --no stageline stack-job run');
    expect(project.Artifacts).toEqual({ Type: 'NO_ARTIFACTS' });
  });
});
