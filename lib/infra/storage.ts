import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from './nag.js';

export interface StorageProps {
  /** Days after which `runs/` objects (and noncurrent versions of anything) expire. */
  readonly runRetentionDays: number;
  /** Days to keep server access logs. */
  readonly accessLogRetentionDays: number;
  /** `organization.yaml` text to put at `config/organization.yaml`; undefined: upload nothing. */
  readonly organizationYaml?: string;
}

/** The key of the organization config in the bucket (DESIGN §4). */
export const ORGANIZATION_KEY = 'config/organization.yaml';

/**
 * The one bucket of DESIGN §4 (builds, runs, approvals, deployed manifests, outputs) and its
 * access-log bucket; the organization config is put into it on every deploy.
 */
export class Storage extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);

    // Server access logs must land in an SSE-S3 bucket; the logging service writes through a
    // bucket policy (feature flag set by the stack), so ACLs stay disabled.
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.accessLogs, 'AwsSolutions-S1', 'This is the server-access-log bucket itself; logging its own accesses into itself would loop, and a third bucket would need the same exception.');

    this.bucket = new Bucket(this, 'Bucket', {
      // Versioned: a bad write to run.json or deployed/ can be recovered; conditional writes
      // (If-None-Match / If-Match) work the same with versioning on.
      versioned: true,
      // SSE-S3: nothing stored here is a secret (payload hygiene, DESIGN §5), and every reader
      // needs no extra KMS grant.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Object Created events for builds/*/*/build.json reach the start-pipeline rule.
      eventBridgeEnabled: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'stageline-bucket/',
      lifecycleRules: [
        { id: 'expire-old-runs', prefix: 'runs/', expiration: Duration.days(props.runRetentionDays) },
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(props.runRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      // Run history and deployed manifests outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (props.organizationYaml !== undefined) this.putOrganizationConfig(props.organizationYaml);

    // eventBridgeEnabled is applied by CDK's stack-wide singleton custom resource.
    const notificationsHandler = Stack.of(this).node.children.find((child) => child.node.id.startsWith('BucketNotificationsHandler'));
    if (notificationsHandler) {
      acknowledge(
        notificationsHandler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's singleton handler that turns on the bucket's EventBridge notifications at deploy time; the managed policy only lets it write its own CloudWatch logs, and CDK offers no log-group option for it.",
      );
    }
  }

  /**
   * Puts the organization config with one S3 PutObject per deploy (and per change). A custom
   * resource over the SDK rather than BucketDeployment: no AWS CLI layer asset, and the grant is
   * exactly `s3:PutObject` on one key.
   */
  private putOrganizationConfig(text: string): void {
    const putObject = {
      service: 'S3',
      action: 'putObject',
      parameters: { Bucket: this.bucket.bucketName, Key: ORGANIZATION_KEY, Body: text, ContentType: 'application/yaml' },
      physicalResourceId: PhysicalResourceId.of(ORGANIZATION_KEY),
    };
    // Our own role and log group for the provider's singleton Lambda: log writes to that group
    // only, instead of the AWS managed AWSLambdaBasicExecutionRole.
    const logGroup = new LogGroup(this, 'OrganizationConfigLogs', { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, 'OrganizationConfigRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    const upload = new AwsCustomResource(this, 'OrganizationConfig', {
      onCreate: putObject,
      onUpdate: putObject,
      installLatestAwsSdk: false,
      role,
      logGroup,
      policy: AwsCustomResourcePolicy.fromStatements([new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(ORGANIZATION_KEY)] })]),
    });
    upload.node.addDependency(this.bucket);
  }
}
