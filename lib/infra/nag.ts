import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag v3 acknowledgements. Each one names the rule (and, for IAM wildcards, the exact finding)
 * and says why the finding is accepted here; they live next to the resource they concern.
 */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/**
 * The IAM5 finding id cdk-nag reports for a grant on `<bucket>/<prefix>*`, e.g.
 * `AwsSolutions-IAM5[Resource::<StorageBucketAB12.Arn>/runs/*]`.
 */
export function bucketPrefixFinding(bucket: IBucket, prefix: string): string {
  const logicalId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnBucket);
  return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`;
}
