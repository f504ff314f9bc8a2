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
    expect(rules()).toHaveLength(2);
    for (const rule of rules()) expect(rule.Targets.map((target) => target.Arn)).toEqual([{ 'Fn::GetAtt': [startPipeline, 'Arn'] }]);
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (permission) => JSON.stringify(permission['Properties']['FunctionName']).includes(startPipeline) && permission['Properties']['Principal'] === 'events.amazonaws.com',
    );
    expect(permissions).toHaveLength(2);
  });
});
