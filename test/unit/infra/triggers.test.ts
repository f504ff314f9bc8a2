import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { logicalId, synthesize } from './harness.js';

let stack: DeploymentStageStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesize());
});

describe('build-complete triggers', () => {
  const rules = () => Object.values(template.findResources('AWS::Events::Rule')).map((rule) => rule['Properties'] as { EventPattern: Record<string, unknown>; Targets: { Arn: unknown }[] });

  it('start the pipeline on a Build Completed event', () => {
    const rule = rules().find((candidate) => JSON.stringify(candidate.EventPattern['source']) === '["stageline.build"]');
    expect(rule?.EventPattern).toEqual({ source: ['stageline.build'], 'detail-type': ['Build Completed'] });
  });

  it('start the pipeline when builds/<service>/<commit>/build.json is written to the bucket', () => {
    const rule = rules().find((candidate) => JSON.stringify(candidate.EventPattern['source']) === '["aws.s3"]');
    expect(rule?.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: logicalId(stack, stack.storage.bucket) }] }, object: { key: [{ wildcard: 'builds/*/*/build.json' }] } },
    });
  });

  it('both target the start-pipeline function, which EventBridge may invoke', () => {
    const startPipeline = logicalId(stack, stack.functions['start-pipeline']!.function);
    const starting = rules().filter((rule) => ['["stageline.build"]', '["aws.s3"]'].includes(JSON.stringify(rule.EventPattern['source'])));
    expect(starting).toHaveLength(2);
    for (const rule of starting) expect(rule.Targets.map((target) => target.Arn)).toEqual([{ 'Fn::GetAtt': [startPipeline, 'Arn'] }]);
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (permission) => JSON.stringify(permission['Properties']['FunctionName']).includes(startPipeline) && permission['Properties']['Principal'] === 'events.amazonaws.com',
    );
    expect(permissions).toHaveLength(2);
  });
});

describe('stack-job builds that end before the runner reports', () => {
  const rule = () => template.toJSON()['Resources'][logicalId(stack, stack.stackJobs.buildEnded)]['Properties'] as {
    EventPattern: Record<string, unknown>;
    Targets: { Arn: unknown; RetryPolicy?: unknown }[];
    State?: string;
  };

  it('match CodeBuild state changes of the runner project only, ending FAILED, FAULT, STOPPED or TIMED_OUT', () => {
    expect(rule().EventPattern).toEqual({
      source: ['aws.codebuild'],
      'detail-type': ['CodeBuild Build State Change'],
      detail: {
        'project-name': [{ Ref: logicalId(stack, stack.stackJobs.project) }],
        'build-status': ['FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT'],
      },
    });
    const codebuildRules = Object.values(template.findResources('AWS::Events::Rule')).filter((resource) => JSON.stringify(resource['Properties']['EventPattern']).includes('aws.codebuild'));
    expect(codebuildRules).toHaveLength(1);
  });

  it('go to the stack-job-watcher function (and only there), which EventBridge may invoke from this rule', () => {
    const watcher = logicalId(stack, stack.functions['stack-job-watcher']!.function);
    expect(stack.functions['stack-job-watcher']).toBe(stack.stackJobs.watcher);
    expect(rule().Targets.map((target) => target.Arn)).toEqual([{ 'Fn::GetAtt': [watcher, 'Arn'] }]);
    expect(rule().Targets[0]!.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((permission) => JSON.stringify(permission['Properties']['FunctionName']).includes(watcher));
    expect(permissions.map((permission) => permission['Properties'])).toEqual([
      expect.objectContaining({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [logicalId(stack, stack.stackJobs.buildEnded), 'Arn'] } }),
    ]);
  });
});

describe('who may trigger a deployment', () => {
  const CI = 'arn:aws:iam::123456789012:role/ci-deployer';

  it('Build Completed goes to the dedicated build bus, not the default one', () => {
    const bus = logicalId(stack, stack.triggers.bus);
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((candidate) => JSON.stringify(candidate['Properties']['EventPattern']['source']) === '["stageline.build"]');
    expect(rule?.['Properties']['EventBusName']).toEqual({ Ref: bus });
    expect(template.findResources('AWS::Events::EventBus')[bus]?.['Properties']['Name']).toBe('Stageline-builds');
  });

  it('with ciPrincipals, the bus and the bucket (builds/) deny every other principal explicitly', () => {
    const { template: restricted } = synthesize({ ciPrincipals: [CI] });
    const busDenies = Object.values(restricted.findResources('AWS::Events::EventBusPolicy')).map((policy) => policy['Properties']['Statement']).filter((statement) => statement.Effect === 'Deny');
    expect(busDenies).toEqual([expect.objectContaining({ Action: 'events:PutEvents', Principal: { AWS: '*' }, Condition: { ArnNotEquals: { 'aws:PrincipalArn': [CI] } } })]);
    const bucketStatements = Object.values(restricted.findResources('AWS::S3::BucketPolicy')).flatMap((policy) => policy['Properties']['PolicyDocument']['Statement'] as Record<string, unknown>[]);
    const buildsDeny = bucketStatements.find((statement) => statement['Sid'] === 'OnlyBuildSystemsWriteBuilds');
    expect(buildsDeny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { ArnNotEquals: { 'aws:PrincipalArn': [CI] } } });
    expect([buildsDeny?.['Action']].flat().sort()).toEqual(['s3:DeleteObject', 's3:PutObject']);
    expect(JSON.stringify(buildsDeny?.['Resource'])).toContain('/builds/*');
  });

  it('refuses a ciPrincipals entry that is not an IAM role or user ARN, naming it', () => {
    expect(() => synthesize({ ciPrincipals: ['ci-deployer'] })).toThrow('stageline:ciPrincipals[0]: expected an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), got "ci-deployer"');
  });
});
