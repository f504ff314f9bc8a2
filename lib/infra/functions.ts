import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { REPO_ROOT } from './deployment-stage-props.js';
import { acknowledge, bucketPrefixFinding } from './nag.js';
import { deploymentStageStateMachineArn, deploymentStageStateMachineName } from './workflow.js';
import { executionArnPrefix, logLevel } from './observability.js';

/** The Lambda entries (`functions/<name>/index.ts`, each exporting `handler`). */
export const FUNCTION_NAMES = [
  'start-pipeline',
  'resolve-manifests',
  'create-deployment-tasks',
  'request-approval',
  'launch-stack-job',
  'cancel-remaining',
  'record-success',
  'approval',
  'stack-job-watcher',
  'reconcile-execution',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * AWS SDK packages the functions take from the nodejs22.x runtime instead of bundling them: every
 * client Stageline uses except `@aws-sdk/client-s3`. The S3 client is bundled (with its own
 * dependency tree: @aws-sdk/core, the S3 middleware, @smithy/*), at the version package.json pins
 * and the tests run with: the store's compare-and-swap needs IfMatch / IfNoneMatch, which an older
 * runtime SDK silently drops. Named one by one (no `@aws-sdk/*`): a wildcard would also leave
 * client-s3's dependencies to the runtime, mixing versions.
 */
export const LAMBDA_EXTERNAL_MODULES: readonly string[] = [
  '@aws-sdk/client-codebuild',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-sfn',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-ssm',
  '@aws-sdk/client-sts',
];

/** Bucket prefixes (DESIGN §4) a principal reads, writes or deletes in. */
export interface ObjectAccess {
  read: string[];
  write: string[];
  /**
   * s3:DeleteObject. Only the runner needs it, on `locks/` (releasing the environment lease); no
   * function deletes anything. Default: none.
   */
  delete?: string[];
}

/**
 * What each function touches in the bucket. Everything else (other prefixes, deletes) is denied
 * by omission. Every function may list the bucket: without s3:ListBucket a GetObject of a
 * missing key answers 403 instead of 404, and "missing" is a normal answer for the store
 * (cancel markers, first deployments).
 */
export const FUNCTION_OBJECT_ACCESS: Record<FunctionName, ObjectAccess> = {
  // Reads the build, creates the run; supersedes older runs (cancel markers, closes their gates).
  'start-pipeline': { read: ['config/', 'builds/', 'runs/', 'approvals/'], write: ['runs/', 'approvals/'] },
  'resolve-manifests': { read: ['config/', 'builds/', 'runs/'], write: ['runs/'] },
  'create-deployment-tasks': { read: ['config/', 'builds/', 'runs/'], write: ['runs/'] },
  // Opens the gate (token stays in approvals/), diffs against deployed/ for the message.
  'request-approval': { read: ['config/', 'builds/', 'runs/', 'approvals/', 'deployed/'], write: ['runs/', 'approvals/'] },
  'launch-stack-job': { read: ['config/', 'runs/'], write: ['runs/'] },
  'cancel-remaining': { read: ['runs/', 'approvals/'], write: ['runs/', 'approvals/'] },
  'record-success': { read: ['runs/'], write: ['runs/'] },
  // The approval page: gate + decisions, the diff against deployed/, the run's task record.
  approval: { read: ['config/', 'builds/', 'runs/', 'approvals/', 'deployed/'], write: ['runs/', 'approvals/'] },
  // A runner build that ended without reporting: reads its job (runs/<runId>/jobs/), marks the task.
  'stack-job-watcher': { read: ['runs/'], write: ['runs/'] },
  // An execution that ended outside the Catch: ends its run (runs/), closes its open gates
  // (approvals/), starts the next queued run of its lane (runs/).
  'reconcile-execution': { read: ['runs/', 'approvals/'], write: ['runs/', 'approvals/'] },
};

/**
 * The functions that end runs: the final workflow steps and reconcile-execution (a run whose
 * execution ended outside the workflow). When a run ends they start the next queued run of its
 * service and branch (`concurrency: queue`), so they get STATE_MACHINE_ARN and
 * states:StartExecution on the deployment-stage state machine, named by its fixed ARN (the state
 * machine references the final steps, so its own ARN would be a circular dependency).
 */
export const STARTS_QUEUED_RUNS: readonly FunctionName[] = ['cancel-remaining', 'record-success', 'reconcile-execution'];

export interface StagelineFunctionProps {
  /** Entry folder name under `functionsDir`. */
  readonly name: FunctionName;
  readonly description: string;
  readonly functionsDir: string;
  readonly bucket: IBucket;
  readonly environment?: Record<string, string>;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  /** Cap for a function reachable from outside (the approval page's public URL). */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Invoked asynchronously (an EventBridge target): an invocation that still fails after Lambda's
   * two retries goes to this queue (on-failure destination) instead of being dropped.
   */
  readonly onFailure?: IQueue;
  readonly logRetention: RetentionDays;
}

/**
 * One Stageline Lambda: bundled locally by esbuild (no Docker), ESM for Node 22, minified, with
 * the S3 client bundled and the other SDK clients left to the nodejs22.x runtime
 * (LAMBDA_EXTERNAL_MODULES). Its own role and log group: the role holds exactly the log-group write and the
 * bucket prefixes of FUNCTION_OBJECT_ACCESS, no AWS managed policy.
 */
export class StagelineFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: StagelineFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Stageline ${props.name} function`,
    });
    const startsQueuedRuns = STARTS_QUEUED_RUNS.includes(props.name);
    const stateMachineArn = startsQueuedRuns ? deploymentStageStateMachineArn(this) : undefined;
    this.function = new NodejsFunction(this, 'Function', {
      description: props.description,
      entry: join(props.functionsDir, props.name, 'index.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      role: this.role,
      logGroup,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      ...(props.reservedConcurrentExecutions ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      ...(props.onFailure ? { onFailure: new SqsDestination(props.onFailure), retryAttempts: 2 } : {}),
      environment: {
        BUCKET_NAME: props.bucket.bucketName,
        // The functions share code with the CLI, which still supports Node 20.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...(stateMachineArn ? { STATE_MACHINE_ARN: stateMachineArn } : {}),
        // Powertools Logger's level (cdk.json context `stageline:logLevel`, INFO by default), and
        // the execution ARN a run id names, for the `execution` key of the logs (docs/aws.md).
        POWERTOOLS_LOG_LEVEL: logLevel(this),
        STAGELINE_EXECUTION_ARN_PREFIX: executionArnPrefix(this, deploymentStageStateMachineName(this)),
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        // Error classes name themselves (`this.name = new.target.name`): the names are what the
        // execution history, the dead-letter queue and the logs show, so minification keeps them.
        keepNames: true,
        externalModules: [...LAMBDA_EXTERNAL_MODULES],
        // Some bundled CommonJS dependencies call require(); ESM output has none without this.
        banner: "import { createRequire as __stagelineCreateRequire } from 'node:module'; const require = __stagelineCreateRequire(import.meta.url);",
      },
    });
    logGroup.grantWrite(this.role);
    grantObjectAccess(this, this.role, props.bucket, FUNCTION_OBJECT_ACCESS[props.name]);
    if (stateMachineArn) this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }));
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'Pinned to nodejs22.x on purpose: the bundles target node22 and the project is tested on Node 20/22; moving to a newer runtime is a deliberate upgrade, not a drift fix.',
    );
  }
}

/**
 * Grants GetObject / PutObject (/ DeleteObject) on `<prefix>*` for each prefix and ListBucket on
 * the bucket, and acknowledges the prefix wildcards: object keys below a prefix are created at run
 * time (run ids, approval ids, environment names), so the prefix is the narrowest resource IAM can name.
 */
export function grantObjectAccess(ackScope: Construct, role: Role, bucket: IBucket, access: ObjectAccess): void {
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  if (access.read.length > 0) {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: access.read.map((prefix) => bucket.arnForObjects(`${prefix}*`)) }));
  }
  if (access.write.length > 0) {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: access.write.map((prefix) => bucket.arnForObjects(`${prefix}*`)) }));
  }
  const deletes = access.delete ?? [];
  if (deletes.length > 0) {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:DeleteObject'], resources: deletes.map((prefix) => bucket.arnForObjects(`${prefix}*`)) }));
  }
  for (const prefix of new Set([...access.read, ...access.write, ...deletes])) {
    const actions = [access.read.includes(prefix) && 'GetObject', access.write.includes(prefix) && 'PutObject', deletes.includes(prefix) && 'DeleteObject'].filter(Boolean).join('/');
    acknowledge(
      ackScope,
      bucketPrefixFinding(bucket, prefix),
      `Objects under ${prefix} are keyed by ids minted at run time (DESIGN §4); the prefix is the narrowest resource IAM can name, and only ${actions} is granted on it.`,
    );
  }
}
