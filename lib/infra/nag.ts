import { Stack, Validations } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag v3 acknowledgements. Each one names the rule (and, for IAM wildcards, the exact finding)
 * and says why the finding is accepted here; they live next to the resource they concern.
 */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/**
 * The AwsSolutions-IAM5 finding id cdk-nag reports for a wildcard `resource` of a policy
 * statement (an ARN, usually built from tokens), in the shape the stack synthesizes: cdk-nag
 * resolves the statement and flattens it (`Ref` → `<Id>`, `Fn::GetAtt` → `<Id.Attr>`, `Fn::Join`
 * joined, `${X}` of `Fn::Sub` → `<X>`). So an environment-agnostic stack reports
 * `arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/...` and a stack with a
 * concrete account and region `arn:<AWS::Partition>:ssm:eu-west-1:111111111111:parameter/...`.
 * Deriving the id from the very ARN that was granted keeps both shapes acknowledged.
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenLikeCdkNag(Stack.of(scope).resolve(resource))}]`;
}

/**
 * The IAM5 finding id cdk-nag reports for a grant on `<bucket>/<prefix>*`, e.g.
 * `AwsSolutions-IAM5[Resource::<StorageBucketAB12.Arn>/runs/*]`.
 */
export function bucketPrefixFinding(bucket: IBucket, prefix: string): string {
  return wildcardResourceFinding(bucket, bucket.arnForObjects(`${prefix}*`));
}

/** cdk-nag 3's flattenCfnReference (lib/utils/flatten-cfn-reference.js, not exported), applied to a resolved value. */
function flattenLikeCdkNag(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const object = node as Record<string, unknown>;
  if (object['Fn::Join']) {
    const [delimiter, items] = object['Fn::Join'] as [string, unknown[]];
    return items.map(flattenLikeCdkNag).join(delimiter);
  }
  if (object['Fn::Sub']) return flattenLikeCdkNag(object['Fn::Sub']);
  if (object['Fn::GetAtt']) {
    const [resource, attribute] = object['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenLikeCdkNag(resource)}.${flattenLikeCdkNag(attribute)}>`;
  }
  if (object['Fn::ImportValue']) return flattenLikeCdkNag(object['Fn::ImportValue']);
  if (object['Ref']) return `<${flattenLikeCdkNag(object['Ref'])}>`;
  return JSON.stringify(node);
}
