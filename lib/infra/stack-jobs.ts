import { ArnFormat, AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { BuildSpec, ComputeType, LinuxBuildImage, Project, Source } from 'aws-cdk-lib/aws-codebuild';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAILED_BUILD_STATUSES } from '../pipeline/stack-job/build-outcome.js';
import { REPO_ROOT } from './deployment-stage-props.js';
import { grantObjectAccess, StagelineFunction } from './functions.js';
import type { ObjectAccess } from './functions.js';
import { acknowledge, wildcardResourceFinding } from './nag.js';

/**
 * What the runner touches in the bucket: manifests and task records in, deployed/ and outputs/
 * out, and the environment lease `locks/<org>/<env>/<service>.json` (lib/pipeline/stack-job/
 * environment-lease.ts: read, created / taken over with conditional writes, deleted on release).
 * It is the only principal that deletes anything, and only there.
 */
export const RUNNER_OBJECT_ACCESS: ObjectAccess = {
  read: ['config/', 'runs/', 'deployed/', 'outputs/', 'locks/'],
  write: ['runs/', 'deployed/', 'outputs/', 'locks/'],
  delete: ['locks/'],
};

export interface StackJobsProps {
  readonly organizationName: string;
  readonly bucket: IBucket;
  /** Environment → role ARN the runner assumes for that environment's stack jobs. */
  readonly environmentRoleArns: Record<string, string>;
  readonly installCommands: string[];
  readonly timeout: Duration;
  readonly logRetention: RetentionDays;
  /** Lambda entries (`<functionsDir>/stack-job-watcher/index.ts`). */
  readonly functionsDir: string;
  /** Build-ended events not delivered to the watcher, and watcher invocations that failed for good. */
  readonly deadLetterQueue: IQueue;
}

/**
 * The stack-job runner: a CodeBuild project running `stageline stack-job run` (DESIGN §5). The
 * launch-stack-job function writes the job to runs/<runId>/jobs/ and starts one build per stack job
 * with `STAGELINE_JOB_KEY` set (the task token stays out of the build's environment); the runner
 * resolves secrets and variables just in time, runs the provisioner and answers the workflow.
 *
 * Its source is an S3 zip built at synth time: the CLI bundled by esbuild into one file plus a
 * package.json declaring the `stageline` bin, and a tiny project depending on it by path. The
 * buildspec's `npm install` therefore fetches nothing from a registry, the code run is exactly
 * the code deployed, and a job starts in seconds.
 *
 * A build can end before its runner reports (the install step or the buildspec fails, the build
 * times out, crashes or is stopped). The `BuildEnded` rule sends the project's FAILED, FAULT,
 * STOPPED and TIMED_OUT builds to the stack-job-watcher function, which fails the waiting step at
 * once instead of letting the run wait for the step's timeout.
 */
export class StackJobs extends Construct {
  readonly project: Project;
  readonly role: Role;
  /** Fails a stack-job step whose build ended before the runner reported. */
  readonly watcher: StagelineFunction;
  /** aws.codebuild "CodeBuild Build State Change" of this project's builds ending by failure → the watcher. */
  readonly buildEnded: Rule;

  constructor(scope: Construct, id: string, props: StackJobsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const runnerPackage = new Asset(this, 'RunnerPackage', {
      path: REPO_ROOT,
      // Hash the bundle, not the repository (node_modules would make every synth slow).
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Used only when local bundling is impossible; esbuild is a dev dependency, so never here.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
        local: { tryBundle: (outputDir) => bundleRunner(outputDir) },
      },
    });

    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.project = new Project(this, 'Runner', {
      description: 'Stageline stack-job runner: stageline stack-job run (one build per stack job)',
      source: Source.s3({ bucket: runnerPackage.bucket, path: runnerPackage.s3ObjectKey }),
      environment: { buildImage: LinuxBuildImage.STANDARD_7_0, computeType: ComputeType.SMALL, privileged: false },
      environmentVariables: {
        STAGELINE_BUCKET: { value: props.bucket.bucketName },
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: { value: 'true' },
      },
      buildSpec: BuildSpec.fromObject({
        version: '0.2',
        env: { shell: 'bash' },
        phases: {
          install: {
            'runtime-versions': { nodejs: 22 },
            commands: [...props.installCommands, 'npm install --no-audit --no-fund --no-package-lock'],
          },
          build: {
            // --no: never fall back to downloading a package called "stageline" from a registry.
            commands: ['npx --no stageline stack-job run'],
          },
        },
      }),
      timeout: props.timeout,
      // A build still queued after this is dropped rather than started hours late (CodeBuild's
      // default is 8 h). The step's heartbeat clock (600 s) runs from launch, and the runner's first
      // heartbeat comes only after queueing, provisioning and the install phase: 5 minutes queued
      // leaves the other half for those.
      queuedTimeout: Duration.minutes(5),
      logging: { cloudWatch: { logGroup } },
    });
    this.role = this.project.role as Role;
    acknowledge(
      this.project,
      'AwsSolutions-CB4',
      'The runner has no build artifacts (NO_ARTIFACTS) and no cache: nothing of ours is stored by CodeBuild for a customer managed key to protect; logs go to CloudWatch and results to the SSE-S3 Stageline bucket. The default aws/s3 key stays.',
    );

    grantObjectAccess(this, this.role, props.bucket, RUNNER_OBJECT_ACCESS);

    // Only the runner reads the organization's secrets and variables (DESIGN §5), and only
    // under its own prefixes.
    const { partition, region, account } = stack;
    const org = props.organizationName;
    const secretsPrefix = `arn:${partition}:secretsmanager:${region}:${account}:secret:stageline/${org}/*`;
    const parametersPrefix = `arn:${partition}:ssm:${region}:${account}:parameter/stageline/${org}/*`;
    this.role.addToPrincipalPolicy(new PolicyStatement({ sid: 'ReadOrganizationSecrets', actions: ['secretsmanager:GetSecretValue'], resources: [secretsPrefix] }));
    this.role.addToPrincipalPolicy(new PolicyStatement({ sid: 'ReadOrganizationVariables', actions: ['ssm:GetParameter', 'ssm:GetParameters'], resources: [parametersPrefix] }));
    const roleArns = [...new Set(Object.values(props.environmentRoleArns))].sort();
    if (roleArns.length > 0) {
      this.role.addToPrincipalPolicy(new PolicyStatement({ sid: 'AssumeEnvironmentRoles', actions: ['sts:AssumeRole'], resources: roleArns }));
    }

    const policy = this.role.node.tryFindChild('DefaultPolicy') ?? this.role;
    // Finding ids derived from the granted ARNs: with a concrete account and region (`cdk deploy`
    // with credentials) cdk-nag reports those values, not <AWS::Region> / <AWS::AccountId>.
    acknowledge(
      policy,
      wildcardResourceFinding(policy, secretsPrefix),
      `The runner resolves $secrets-group references of any group, just in time (DESIGN §5): secrets are named stageline/${org}/<group> or stageline/${org}/<env>/<group>, and GetSecretValue on that prefix is the narrowest grant. No other role has it.`,
    );
    acknowledge(
      policy,
      wildcardResourceFinding(policy, parametersPrefix),
      `The runner resolves $variables-group references: parameters /stageline/${org}/[<env>/]variables/<group>/<key>; GetParameter(s) on that prefix is the narrowest grant. No other role has it.`,
    );
    // CodeBuild's own grants, made by the L2 construct (the same ARNs it builds).
    const projectName = this.project.projectName;
    acknowledge(
      policy,
      wildcardResourceFinding(policy, stack.formatArn({ service: 'codebuild', resource: 'report-group', resourceName: `${projectName}-*` })),
      'Added by the CodeBuild construct: test-report groups named after this project only; the runner creates none.',
    );
    const defaultLogGroup = stack.formatArn({ service: 'logs', resource: 'log-group', arnFormat: ArnFormat.COLON_RESOURCE_NAME, resourceName: `/aws/codebuild/${projectName}` });
    acknowledge(
      policy,
      wildcardResourceFinding(policy, `${defaultLogGroup}:*`),
      "Added by the CodeBuild construct: log streams of this project's default log group only (builds log to the explicit group above).",
    );
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) {
      acknowledge(
        policy,
        `AwsSolutions-IAM5[Action::${action}]`,
        `Added by the CodeBuild S3 source: read of the runner package in the CDK asset bucket (${action} on that one object and its bucket), nothing of Stageline's data bucket.`,
      );
    }

    this.watcher = new StagelineFunction(this, 'Watcher', {
      name: 'stack-job-watcher',
      description: 'Stageline: fails a stack-job step at once when its CodeBuild build ended before the runner reported',
      functionsDir: props.functionsDir,
      bucket: props.bucket,
      logRetention: props.logRetention,
      onFailure: props.deadLetterQueue,
    });
    // Only this project's builds, only the statuses that end a build by failure: a SUCCEEDED build's
    // runner has reported. Failing the step again is harmless (answered "closed"), so a retried
    // delivery is safe; after the step's timeout (stackJobs.timeout) an event is of no use.
    this.buildEnded = new Rule(this, 'BuildEnded', {
      description: 'Stageline: a stack-job build ended FAILED/FAULT/STOPPED/TIMED_OUT → fail its step if the runner did not report',
      eventPattern: {
        source: ['aws.codebuild'],
        detailType: ['CodeBuild Build State Change'],
        detail: {
          'project-name': [this.project.projectName],
          'build-status': [...FAILED_BUILD_STATUSES],
        },
      },
      targets: [new LambdaFunction(this.watcher.function, { retryAttempts: 8, maxEventAge: Duration.hours(2), deadLetterQueue: props.deadLetterQueue })],
    });
  }

  /**
   * The runner reports back (success, failure, heartbeats) on this state machine's tasks only; the
   * watcher may only fail them.
   */
  grantCallbacks(stateMachine: IStateMachine): void {
    stateMachine.grant(this.watcher.role, 'states:SendTaskFailure');
    // A policy of its own: the project depends on its role's default policy, and the workflow
    // depends on the project (through launch-stack-job's STACK_JOB_PROJECT).
    new Policy(this, 'CallbackPolicy', {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          resources: [stateMachine.stateMachineArn],
        }),
      ],
    });
  }
}

/** esbuild bundles the CLI into one ESM file; writes the package the buildspec installs. */
function bundleRunner(outputDir: string): boolean {
  const packageDir = join(outputDir, 'stageline');
  mkdirSync(packageDir, { recursive: true });
  buildSync({
    entryPoints: [join(REPO_ROOT, 'bin', 'stageline.ts')],
    outfile: join(packageDir, 'cli.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    // Error classes name themselves: the names reach the build log and the workflow's failure cause.
    keepNames: true,
    // The CodeBuild image has no AWS SDK: everything is bundled.
    banner: { js: "import { createRequire as __stagelineCreateRequire } from 'node:module'; const require = __stagelineCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(join(packageDir, 'package.json'), `${JSON.stringify({ name: 'stageline', version, private: true, type: 'module', bin: { stageline: 'cli.mjs' } }, null, 2)}\n`);
  writeFileSync(join(outputDir, 'package.json'), `${JSON.stringify({ name: 'stageline-stack-job', private: true, dependencies: { stageline: 'file:./stageline' } }, null, 2)}\n`);
  return true;
}
