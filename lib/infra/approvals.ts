import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Code, Function as LambdaFunction, FunctionUrlAuthType, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { StagelineFunction } from './functions.js';
import { acknowledge } from './nag.js';

export interface ApprovalsProps {
  readonly organizationName: string;
  readonly bucket: IBucket;
  readonly functionsDir: string;
  readonly approverEmails: string[];
  readonly slackWebhookUrl?: string;
  /** Reserved concurrency of the public approval function; undefined: none reserved. */
  readonly reservedConcurrency?: number;
  readonly logRetention: RetentionDays;
}

/**
 * Approval gates in AWS: the HMAC keyring that signs approval links, the topic that emails
 * approvers, the request-approval step and the public approval page (a function URL: the links
 * themselves are the credential, signed, personal and short-lived).
 */
export class Approvals extends Construct {
  readonly keyring: Secret;
  readonly topic: Topic;
  readonly requestApproval: StagelineFunction;
  readonly approval: StagelineFunction;
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: ApprovalsProps) {
    super(scope, id);

    // Deliberately outside `stageline/<org>/`: the stack-job runner reads that prefix and must
    // never be able to mint approval links.
    this.keyring = new Secret(this, 'SigningKeyring', {
      secretName: `stageline-approvals/${props.organizationName}/signing-keyring`,
      description: 'Stageline approval-link HMAC keyring: {"current":"<kid>","keys":{"<kid>":"<secret>"}}',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.keyring,
      'AwsSolutions-SMG4',
      'No managed rotation exists for an HMAC keyring; rotation is a documented manual step (add a key id, make it current, drop the old one after the longest approval timeout) so outstanding links keep verifying. See docs/aws.md.',
    );
    this.initializeKeyring(props.logRetention);

    this.topic = new Topic(this, 'ApprovalTopic', {
      displayName: `Stageline approvals (${props.organizationName})`,
      // The AWS managed key: email delivery needs no key policy of ours.
      masterKey: Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    // One email per approver is published, each holding only that approver's signed link: every
    // subscription must receive only its own (a link is that approver's capability).
    for (const email of props.approverEmails) {
      const approver = email.trim().toLowerCase();
      this.topic.addSubscription(
        new EmailSubscription(approver, { filterPolicy: { approver: SubscriptionFilter.stringFilter({ allowlist: [approver] }) } }),
      );
    }

    this.approval = new StagelineFunction(this, 'ApprovalPage', {
      name: 'approval',
      description: 'Stageline approval page: shows a gate, records signed decisions, answers the workflow',
      functionsDir: props.functionsDir,
      bucket: props.bucket,
      logRetention: props.logRetention,
      environment: { APPROVAL_KEY_SECRET_ARN: this.keyring.secretArn },
      // Public URL: when configured, a cap keeps a flood of requests from taking the concurrency
      // the workflow steps need. Not by default: a new account cannot reserve any (docs/aws.md §2).
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
    });
    this.keyring.grantRead(this.approval.role);
    // Public on purpose: approvers are people with an email link, not AWS principals. Every
    // link and form token is HMAC-signed, personal and expiring; a GET never decides.
    this.url = this.approval.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });

    this.requestApproval = new StagelineFunction(this, 'RequestApproval', {
      name: 'request-approval',
      description: 'Stageline workflow step: opens an approval gate and sends each approver a signed link',
      functionsDir: props.functionsDir,
      bucket: props.bucket,
      logRetention: props.logRetention,
      environment: {
        APPROVAL_URL: this.url.url,
        APPROVAL_KEY_SECRET_ARN: this.keyring.secretArn,
        TOPIC_ARN: this.topic.topicArn,
        ...(props.slackWebhookUrl ? { SLACK_WEBHOOK_URL: props.slackWebhookUrl } : {}),
      },
    });
    this.keyring.grantRead(this.requestApproval.role);
    this.topic.grantPublish(this.requestApproval.role);
  }

  /** The approval page answers the waiting task: success or failure, on this state machine only. */
  grantDecisions(stateMachine: IStateMachine): void {
    // A policy of its own, not the role's default policy: the function depends on its default
    // policy, and the workflow depends (through request-approval's APPROVAL_URL) on the function.
    new Policy(this, 'DecisionPolicy', {
      roles: [this.approval.role],
      statements: [new PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [stateMachine.stateMachineArn] })],
    });
  }

  /**
   * Secrets Manager can generate a string but not the keyring's nested JSON, so a tiny custom
   * resource writes `{ current: "k1", keys: { k1: <48 random bytes> } }` once, at creation. It
   * never overwrites a valid keyring (a redeploy or a rotated keyring stays as it is) and never
   * logs the value.
   */
  private initializeKeyring(logRetention: RetentionDays): void {
    const logGroup = new LogGroup(this, 'KeyringInitializerLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, 'KeyringInitializerRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: [this.keyring.secretArn] }));
    const initializer = new LambdaFunction(this, 'KeyringInitializer', {
      description: 'Stageline: writes the initial approval signing keyring (once)',
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline(KEYRING_INITIALIZER_SOURCE),
      timeout: Duration.seconds(30),
      role,
      logGroup,
    });
    acknowledge(initializer, 'AwsSolutions-L1', 'Same runtime as every Stageline function (nodejs22.x), upgraded together on purpose.');
    new CustomResource(this, 'KeyringInitialization', {
      serviceToken: initializer.functionArn,
      resourceType: 'Custom::StagelineSigningKeyring',
      properties: { SecretId: this.keyring.secretArn, Version: '1' },
    });
  }
}

/** CommonJS (inline code is index.js); only the runtime's SDK v3 and Node built-ins. */
const KEYRING_INITIALIZER_SOURCE = `
const { SecretsManagerClient, GetSecretValueCommand, PutSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
const { randomBytes } = require('node:crypto');
const https = require('node:https');
const client = new SecretsManagerClient({});
const isKeyring = (text) => {
  try {
    const value = JSON.parse(text);
    return typeof value.current === 'string' && value.keys !== null && typeof value.keys === 'object' && typeof value.keys[value.current] === 'string';
  } catch { return false; }
};
exports.handler = async (event, context) => {
  let status = 'SUCCESS';
  let reason = 'ok';
  try {
    if (event.RequestType !== 'Delete') {
      const secretId = event.ResourceProperties.SecretId;
      const current = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!isKeyring(current.SecretString)) {
        const keyring = { current: 'k1', keys: { k1: randomBytes(48).toString('base64url') } };
        await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(keyring) }));
      }
    }
  } catch (error) {
    status = 'FAILED';
    reason = String((error && error.name) || 'Error') + ': could not initialize the keyring (see ' + context.logStreamName + ')';
    console.error('keyring initialization failed:', error && error.name, error && error.message);
  }
  const body = JSON.stringify({
    Status: status, Reason: reason, PhysicalResourceId: event.PhysicalResourceId || 'stageline-signing-keyring',
    StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, Data: {},
  });
  await new Promise((resolve, reject) => {
    const request = https.request(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } }, (response) => { response.resume(); response.on('end', resolve); });
    request.on('error', reject);
    request.end(body);
  });
};
`;
