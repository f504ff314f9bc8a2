import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import type { DeploymentStageStack } from '../../../lib/infra/deployment-stage-stack.js';
import { logicalId, ORGANIZATION_FILE, synthesize } from './harness.js';

let stack: DeploymentStageStack;
let template: Template;
let bucketId: string;
let bucket: Record<string, unknown>;

beforeAll(() => {
  ({ stack, template } = synthesize({ runRetentionDays: 30 }));
  bucketId = logicalId(stack, stack.storage.bucket);
  bucket = template.toJSON()['Resources'][bucketId]['Properties'];
});

describe('the Stageline bucket', () => {
  it('is versioned, encrypted and closed to the public', () => {
    expect(bucket['VersioningConfiguration']).toEqual({ Status: 'Enabled' });
    expect(bucket['BucketEncryption']).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket['PublicAccessBlockConfiguration']).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('refuses any request without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('sends its events to EventBridge and logs accesses to the log bucket', () => {
    expect(bucket['NotificationConfiguration']).toBeUndefined();
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucketId },
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
    expect(bucket['LoggingConfiguration']).toEqual({
      DestinationBucketName: { Ref: logicalId(stack, stack.storage.accessLogs) },
      LogFilePrefix: 'stageline-bucket/',
    });
  });

  it('expires old runs after the configured number of days', () => {
    const rules = (bucket['LifecycleConfiguration'] as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(expect.objectContaining({ Prefix: 'runs/', ExpirationInDays: 30, Status: 'Enabled' }));
  });

  it('puts the organization config at config/organization.yaml, byte for byte', () => {
    const uploads = Object.values(template.findResources('Custom::AWS'));
    expect(uploads).toHaveLength(1);
    const create = JSON.parse(JSON.stringify((uploads[0]!['Properties'] as { Create: unknown }).Create)) as { 'Fn::Join': [string, unknown[]] };
    const rendered = create['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<token>')).join('');
    const call = JSON.parse(rendered) as { action: string; parameters: { Key: string; Body: string } };
    expect(call.action).toBe('putObject');
    expect(call.parameters.Key).toBe('config/organization.yaml');
    expect(call.parameters.Body).toBe(readFileSync(ORGANIZATION_FILE, 'utf8'));
  });
});
