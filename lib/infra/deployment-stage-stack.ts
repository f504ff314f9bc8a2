import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { resolve } from 'node:path';
import { Approvals } from './approvals.js';
import { AsyncFailures } from './async-failures.js';
import { propOrContext, REPO_ROOT } from './deployment-stage-props.js';
import type { DeploymentStageProps, ResolvedDeploymentStageProps } from './deployment-stage-props.js';
import { StagelineFunction } from './functions.js';
import { assertOrganizationName, assertRoleArns, OrganizationFileError, readOrganizationFile } from './organization-file.js';
import type { OrganizationFacts } from './organization-file.js';
import { ExecutionReconciler } from './reconciliation.js';
import { Observability } from './observability.js';
import { StackJobs } from './stack-jobs.js';
import { Storage } from './storage.js';
import { Triggers } from './triggers.js';
import { Workflow } from './workflow.js';

/**
 * Stageline's deployment stage in one AWS account: the bucket, the functions, the workflow,
 * approval gates, the stack-job runner and the build-complete triggers (DESIGN §1, §4, §5).
 */
export class DeploymentStageStack extends Stack {
  readonly settings: ResolvedDeploymentStageProps;
  readonly storage: Storage;
  readonly workflow: Workflow;
  readonly approvals: Approvals;
  readonly stackJobs: StackJobs;
  readonly triggers: Triggers;
  readonly asyncFailures: AsyncFailures;
  readonly reconciler: ExecutionReconciler;
  readonly functions: Record<string, StagelineFunction>;

  constructor(scope: Construct, id: string, props: DeploymentStageProps = {}) {
    super(scope, id, { description: 'Stageline deployment stage', ...props });
    // Server access logs are delivered through a bucket policy, not ACLs (set before any child
    // construct reads it).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const { settings, organization } = resolveSettings(this, props);
    this.settings = settings;
    const logRetention = settings.logRetentionDays as RetentionDays;

    this.storage = new Storage(this, 'Storage', {
      runRetentionDays: settings.runRetentionDays,
      accessLogRetentionDays: settings.accessLogRetentionDays,
      ...(organization ? { organizationYaml: organization.text } : {}),
    });
    const bucket = this.storage.bucket;
    this.asyncFailures = new AsyncFailures(this, 'AsyncFailures');
    const deadLetterQueue = this.asyncFailures.queue;
    const common = { functionsDir: settings.functionsDir, bucket, logRetention };

    this.approvals = new Approvals(this, 'Approvals', {
      organizationName: settings.organizationName,
      bucket,
      functionsDir: settings.functionsDir,
      approverEmails: settings.approverEmails,
      ...(settings.slackWebhookUrl ? { slackWebhookUrl: settings.slackWebhookUrl } : {}),
      ...(settings.approvalReservedConcurrency !== undefined ? { reservedConcurrency: settings.approvalReservedConcurrency } : {}),
      logRetention,
    });

    this.stackJobs = new StackJobs(this, 'StackJobs', {
      organizationName: settings.organizationName,
      bucket,
      environmentRoleArns: settings.environmentRoleArns,
      installCommands: settings.runnerInstallCommands,
      timeout: settings.runnerTimeout,
      logRetention,
      functionsDir: settings.functionsDir,
      deadLetterQueue,
    });

    const resolveManifests = new StagelineFunction(this, 'ResolveManifests', {
      ...common,
      name: 'resolve-manifests',
      description: 'Stageline workflow step: builds or renders one manifest per environment and stores it',
      // Kustomize builds of many overlays: more memory is more CPU.
      memorySize: 1024,
      timeout: Duration.minutes(5),
    });
    const createDeploymentTasks = new StagelineFunction(this, 'CreateDeploymentTasks', {
      ...common,
      name: 'create-deployment-tasks',
      description: 'Stageline workflow step: orders environments by promotion policy, marks gates, writes run.json',
    });
    const launchStackJob = new StagelineFunction(this, 'LaunchStackJob', {
      ...common,
      name: 'launch-stack-job',
      description: 'Stageline workflow step: records the stack job and starts the CodeBuild runner',
      environment: { STACK_JOB_PROJECT: this.stackJobs.project.projectName },
    });
    launchStackJob.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['codebuild:StartBuild'], resources: [this.stackJobs.project.projectArn] }));
    const cancelRemaining = new StagelineFunction(this, 'CancelRemaining', {
      ...common,
      name: 'cancel-remaining',
      description: 'Stageline workflow step: marks the failed environment and cancels every later one',
    });
    const recordSuccess = new StagelineFunction(this, 'RecordSuccess', {
      ...common,
      name: 'record-success',
      description: 'Stageline workflow step: marks the run SUCCEEDED',
    });

    this.workflow = new Workflow(this, 'Workflow', {
      definitionFile: settings.definitionFile,
      logRetention,
      functions: {
        resolveManifests: resolveManifests.function,
        createDeploymentTasks: createDeploymentTasks.function,
        requestApproval: this.approvals.requestApproval.function,
        launchStackJob: launchStackJob.function,
        cancelRemaining: cancelRemaining.function,
        recordSuccess: recordSuccess.function,
      },
    });
    const stateMachine = this.workflow.stateMachine;
    this.approvals.grantDecisions(stateMachine);
    this.stackJobs.grantCallbacks(stateMachine);

    const startPipeline = new StagelineFunction(this, 'StartPipeline', {
      ...common,
      name: 'start-pipeline',
      description: 'Stageline: validates a build-complete event, applies the concurrency policy, starts the workflow',
      environment: { STATE_MACHINE_ARN: stateMachine.stateMachineArn },
      onFailure: deadLetterQueue,
    });
    stateMachine.grantStartExecution(startPipeline.role);
    // Superseding a run stops it at once when it waits at a gate: fail that task, nothing else.
    stateMachine.grant(startPipeline.role, 'states:SendTaskFailure');

    this.triggers = new Triggers(this, 'Triggers', { bucket, startPipeline: startPipeline.function, deadLetterQueue, ciPrincipals: settings.ciPrincipals });
    this.reconciler = new ExecutionReconciler(this, 'Reconciliation', { ...common, stateMachine, deadLetterQueue });

    this.functions = {
      'start-pipeline': startPipeline,
      'resolve-manifests': resolveManifests,
      'create-deployment-tasks': createDeploymentTasks,
      'request-approval': this.approvals.requestApproval,
      'launch-stack-job': launchStackJob,
      'cancel-remaining': cancelRemaining,
      'record-success': recordSuccess,
      approval: this.approvals.approval,
      'stack-job-watcher': this.stackJobs.watcher,
      'reconcile-execution': this.reconciler.reconcile,
    };
    // Alarms and the dashboard (docs/aws.md, "Logs, metrics, alarms and the dashboard").
    const observability = new Observability(this, 'Observability', {
      stateMachine,
      functions: this.functions,
      deadLetterQueue,
      deadLetterAlarm: this.asyncFailures.alarm,
      stackJobProject: this.stackJobs.project,
    });
    new CfnOutput(this, 'DashboardName', { value: observability.dashboard.dashboardName, description: 'The CloudWatch dashboard of the deployment stage' });
    new CfnOutput(this, 'ExecutionsAlarmName', { value: observability.executionsAlarm.alarmName, description: 'In ALARM when an execution failed, timed out or was aborted' });

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName, description: 'The Stageline bucket (STAGELINE_BUCKET for the CLI)' });
    new CfnOutput(this, 'BuildEventBusName', { value: this.triggers.bus.eventBusName, description: 'Where build systems publish Build Completed (STAGELINE_EVENT_BUS for the CLI)' });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn, description: 'The deployment-stage workflow' });
    new CfnOutput(this, 'ApprovalUrl', { value: this.approvals.url.url, description: 'Base URL of approval links' });
    new CfnOutput(this, 'ApprovalTopicArn', { value: this.approvals.topic.topicArn, description: 'Approval notices (subscribe approvers here)' });
    new CfnOutput(this, 'StackJobProject', { value: this.stackJobs.project.projectName, description: 'The CodeBuild project running stack jobs' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetterQueue.queueUrl, description: 'Events and asynchronous invocations that failed for good (alarm: DeadLetterAlarmName)' });
    new CfnOutput(this, 'DeadLetterQueueArn', { value: deadLetterQueue.queueArn, description: 'The dead-letter queue of every EventBridge target and asynchronously invoked function' });
    new CfnOutput(this, 'DeadLetterAlarmName', { value: this.asyncFailures.alarm.alarmName, description: 'In ALARM while the dead-letter queue holds a message' });
    new CfnOutput(this, 'RunnerRoleArn', { value: this.stackJobs.role.roleArn, description: 'Trust this role from each environment role (credentials.awsRoleArn)' });
  }
}

/** Props, then cdk.json context, then the organization file, then defaults. */
function resolveSettings(stack: Stack, props: DeploymentStageProps): { settings: ResolvedDeploymentStageProps; organization: OrganizationFacts | undefined } {
  const get = <K extends Parameters<typeof propOrContext>[2]>(key: K) => propOrContext(stack, props, key);
  const organizationConfigFile = get('organizationConfigFile');
  const organization = organizationConfigFile ? readOrganizationFile(resolve(organizationConfigFile)) : undefined;

  const organizationName = get('organizationName') ?? organization?.name;
  if (!organizationName) {
    throw new OrganizationFileError('DeploymentStage: set stageline:organizationConfigFile (the organization.yaml to deploy) or stageline:organizationName in cdk.json context, or the matching prop');
  }
  assertOrganizationName(organizationName, 'stageline:organizationName');
  if (organization && organization.name !== organizationName) {
    throw new OrganizationFileError(`stageline:organizationName is "${organizationName}" but ${organizationConfigFile} names "${organization.name}"`);
  }
  const environmentRoleArns = get('environmentRoleArns') ?? organization?.environmentRoleArns ?? {};
  assertRoleArns(environmentRoleArns, 'stageline:environmentRoleArns');

  const settings: ResolvedDeploymentStageProps = {
    organizationConfigFile,
    organizationName,
    environmentRoleArns,
    approverEmails: get('approverEmails') ?? organization?.approvers ?? [],
    runRetentionDays: positive(get('runRetentionDays') ?? 90, 'runRetentionDays'),
    accessLogRetentionDays: positive(get('accessLogRetentionDays') ?? 365, 'accessLogRetentionDays'),
    slackWebhookUrl: get('slackWebhookUrl'),
    runnerInstallCommands: get('runnerInstallCommands') ?? [],
    runnerTimeout: Duration.minutes(positive(get('runnerTimeoutMinutes') ?? 60, 'runnerTimeoutMinutes')),
    logRetentionDays: retention(get('logRetentionDays') ?? 90),
    approvalReservedConcurrency: optionalPositive(get('approvalReservedConcurrency'), 'approvalReservedConcurrency'),
    ciPrincipals: principalArns(get('ciPrincipals') ?? [], 'stageline:ciPrincipals'),
    functionsDir: resolve(get('functionsDir') ?? resolve(REPO_ROOT, 'functions')),
    definitionFile: resolve(get('definitionFile') ?? resolve(REPO_ROOT, 'statemachine', 'deployment-stage.asl.json')),
  };
  return { settings, organization };
}

/** IAM role or user ARNs (the build systems allowed to trigger deployments). */
function principalArns(value: unknown, key: string): string[] {
  const arns = Array.isArray(value) ? value : [value];
  for (const [index, arn] of arns.entries()) {
    if (typeof arn !== 'string' || !/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/.test(arn)) {
      throw new OrganizationFileError(`${key}[${index}]: expected an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), got ${JSON.stringify(arn)}`);
    }
  }
  return arns as string[];
}

/** CloudWatch Logs accepts only some retention periods (RetentionDays). */
function retention(days: number): number {
  const allowed = Object.values(RetentionDays).filter((value): value is number => typeof value === 'number' && value > 0);
  if (!allowed.includes(days)) throw new OrganizationFileError(`stageline:logRetentionDays: expected one of ${allowed.join(', ')}, got ${JSON.stringify(days)}`);
  return days;
}

function optionalPositive(value: number | undefined, key: string): number | undefined {
  return value === undefined ? undefined : positive(value, key);
}

function positive(value: number, key: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new OrganizationFileError(`stageline:${key}: expected a positive whole number, got ${JSON.stringify(value)}`);
  return value;
}
