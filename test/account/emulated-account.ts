import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateProjectCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CreateEventBusCommand, EventBridgeClient, PutEventsCommand, PutPermissionCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutBucketNotificationConfigurationCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateStateMachineCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AccountProxy } from './account-proxy.js';
import { REPO_ROOT, synthesizeOnce, type CloudAssembly } from './cloud-assembly.js';
import { CodeBuildHost, type BuildRecord } from './codebuild-host.js';
import { ExecutionHost, type HostedExecution } from './execution-host.js';
import { LambdaHost, type FunctionSpec, type LogLine } from './lambda-host.js';
import { TemplateAccount } from '../support/template-account.js';
import { S3ArtifactStore } from '../../lib/adapters/aws/s3-artifact-store.js';
import { readRun, type RunRecord } from '../../lib/pipeline/workflow/records.js';

const FINAL_RUN_STATUSES: string[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'SUPERSEDED'];
import { startMoto, type Credentials, type MotoServer } from '../support/moto-server.js';

export interface EmulatedAccountOptions {
  /** The organization.yaml the stack is synthesized with (stageline:organizationConfigFile). */
  organizationFile: string;
  /** Variables of the build image: where the provisioner tools of the fixtures are. */
  runnerImageEnvironment?: Record<string, string>;
  /** More cdk.json context for the synthesis (`stageline:*`). */
  context?: Record<string, string>;
}

/** A message an approver received (the SNS email subscription's delivery). */
export interface Email {
  subject: string;
  message: string;
}

type TrustPolicy = { Version?: string; Statement: Array<{ Effect: string; Principal?: Record<string, unknown>; Action: unknown }> };

type Clients = { s3: S3Client; sqs: SQSClient; events: EventBridgeClient; iam: IAMClient; sts: STSClient; secrets: SecretsManagerClient; sns: SNSClient; sfn: SFNClient; codebuild: CodeBuildClient };

/**
 * One emulated AWS account running the synthesized DeploymentStage stack: moto with IAM
 * enforced, every piece created from the template (bucket, secrets, topic and subscriptions,
 * roles with the template's policies, rules, the CodeBuild project, the state machine), the
 * custom resources carried out, and the parts moto cannot run — Lambda invocations, Step
 * Functions executions, CodeBuild builds — run from the template's own code (cdk.out bundles,
 * the definition string, the runner package and buildspec) with each principal's credentials.
 */
export class EmulatedAccount {
  readonly logs: LogLine[] = [];
  readonly resolver: TemplateAccount;
  readonly lambdas: LambdaHost;
  readonly proxy: AccountProxy;
  executions!: ExecutionHost;
  codebuild!: CodeBuildHost;
  bucket = '';
  stateMachineArn = '';
  /** How long the set-up took, and whether the stack had to be synthesized (seconds). */
  readonly timings: Record<string, number> = {};
  /** Role ARN → principal label, for credentials and the call log. */
  private readonly roleLabels = new Map<string, string>();
  private readonly credentialCache = new Map<string, Credentials>();
  private readonly inboxes = new Map<string, string>();
  private readonly received = new Map<string, Email[]>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly buildCredentialUrls = new Map<string, string>();
  private readonly customResourceAnswers = new Map<string, (body: unknown) => void>();
  private readonly pollers: Array<Promise<void>> = [];
  private readonly ruleQueues: string[] = [];
  private stopped = false;
  private server: Server | undefined;
  private tlsServer: Server | undefined;
  private responseUrl = '';
  /** The loopback CA the functions trust. */
  caFile = '';
  serverUrl = '';
  private admin!: Clients;
  /** Step Functions straight at moto (bookkeeping the harness does not log). */
  private motoSfn!: SFNClient;

  private constructor(
    readonly assembly: CloudAssembly,
    readonly moto: MotoServer,
    private readonly options: EmulatedAccountOptions,
  ) {
    this.proxy = new AccountProxy(moto.endpoint);
    this.resolver = new TemplateAccount(assembly.template, { partition: 'aws', accountId: moto.accountId, region: moto.region, stackName: assembly.stackName });
    this.lambdas = new LambdaHost({ endpoint: '', region: moto.region, credentialsFor: (roleArn, label) => this.credentialsFor(roleArn, label), logs: this.logs, extraEnvironment: () => ({
        NODE_EXTRA_CA_CERTS: this.caFile,
        // The functions run on nodejs22.x; this machine's Node 20 would make every SDK client warn.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      }),
    });
  }

  static async create(options: EmulatedAccountOptions): Promise<EmulatedAccount> {
    let started = Date.now();
    const assembly = synthesizeOnce({
      account: '123456789012',
      region: 'us-east-1',
      context: { 'stageline:organizationConfigFile': options.organizationFile, ...(options.context ?? {}) },
    });
    const synthSeconds = (Date.now() - started) / 1000;
    started = Date.now();
    const moto = await startMoto({ enforceIam: true });
    const account = new EmulatedAccount(assembly, moto, options);
    account.timings.synthSeconds = synthSeconds;
    try {
      await account.setUp();
    } catch (error) {
      const last = account.proxy.calls.slice(-3).map((call) => `${call.service}:${call.action} ${call.status} ${call.response.slice(0, 300)}`);
      await account.stop();
      throw new Error(`the emulated account could not be set up: ${String(error)}\nlast calls:\n${last.join('\n')}\nmoto:\n${account.moto.recentOutput().slice(-3000)}`, { cause: error });
    }
    account.timings.setUpSeconds = (Date.now() - started) / 1000;
    return account;
  }

  /** Clients for the test itself, as the account's administrator, through the account's endpoint. */
  adminClients(): Clients {
    return this.admin;
  }

  /** SDK client options for a principal with these credentials, through the account's endpoint. */
  clientConfig(credentials: Credentials = this.moto.admin) {
    return { endpoint: this.proxy.endpoint, region: this.moto.region, credentials, forcePathStyle: true as const };
  }

  // ---- set-up ------------------------------------------------------------------------------

  private async setUp(): Promise<void> {
    await this.proxy.start();
    this.proxy.nameAccessKey(this.moto.admin.accessKeyId, 'admin');
    (this.lambdas as unknown as { options: { endpoint: string } }).options.endpoint = this.proxy.endpoint;
    this.admin = makeClients(this.clientConfig());
    this.motoSfn = new SFNClient(this.moto.adminClientConfig());
    await this.startServer();

    const r = this.resolver;
    for (const [id] of r.resourcesOfType('AWS::S3::Bucket')) await this.admin.s3.send(new CreateBucketCommand({ Bucket: r.ref(id) }));
    const bucketIds = r.resourcesOfType('AWS::S3::Bucket').map(([id]) => id);
    this.bucket = r.ref(bucketIds.find((id) => id.startsWith('StorageBucket')) ?? bucketIds[0]!);

    for (const [id, resource] of r.resourcesOfType('AWS::SecretsManager::Secret')) {
      const properties = resource.Properties ?? {};
      const name = properties['Name'] ? r.resolveString(properties['Name']) : `${this.assembly.stackName}-${id}`;
      const created = await this.admin.secrets.send(new CreateSecretCommand({ Name: name, SecretString: properties['SecretString'] ? r.resolveString(properties['SecretString']) : randomUUID() }));
      r.override(id, { ref: created.ARN!, attributes: { Id: created.ARN! } });
    }
    for (const [id] of r.resourcesOfType('AWS::SNS::Topic')) {
      await this.admin.sns.send(new CreateTopicCommand({ Name: r.getAtt(id, 'TopicName') }));
    }
    for (const [id] of r.resourcesOfType('AWS::SQS::Queue')) {
      const created = await this.admin.sqs.send(new CreateQueueCommand({ QueueName: r.getAtt(id, 'QueueName') }));
      // The SDK sends to the queue URL's host: the account's own, not sqs.<region>.amazonaws.com.
      r.override(id, { ref: created.QueueUrl!, attributes: { QueueUrl: created.QueueUrl! } });
    }
    await this.createRoles();
    for (const [id] of r.resourcesOfType('AWS::Lambda::Url')) r.override(id, { ref: `${this.serverUrl}/`, attributes: { FunctionUrl: `${this.serverUrl}/`, FunctionArn: '' } });
    this.registerFunctions();
    await this.createProject();
    await this.createStateMachine();
    await this.createRules();
    await this.subscribeInboxes();
    await this.runCustomResources();
    // Last, as CloudFormation's deploy role is not bound by them. Their aws:SecureTransport denies
    // do not fire: the clients this endpoint stands for use TLS (moto_server.py evaluates them so).
    for (const [id, resource] of r.resourcesOfType('AWS::S3::BucketPolicy')) {
      const properties = resource.Properties ?? {};
      await this.admin.s3.send(new PutBucketPolicyCommand({ Bucket: r.resolveString(properties['Bucket'], `${id}.Bucket`), Policy: JSON.stringify(r.resolve(properties['PolicyDocument'])) }));
    }
    this.hookProxy();
  }

  private async createRoles(): Promise<void> {
    const r = this.resolver;
    for (const [id, resource] of r.resourcesOfType('AWS::IAM::Role')) {
      const name = r.ref(id);
      const trust = r.resolve(resource.Properties?.['AssumeRolePolicyDocument']) as TrustPolicy;
      await this.admin.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(this.servicesAsHarness(trust)) }));
      // Its inline policies and every AWS::IAM::Policy naming it (AWS managed policies are not preloaded in moto: the custom-resource roles' log grants only).
      for (const policy of r.rolePolicies(id)) {
        await this.admin.iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: policy.name.slice(0, 128), PolicyDocument: JSON.stringify(policy.document) }));
      }
      this.roleLabels.set(r.getAtt(id, 'Arn'), id);
    }
  }

  /**
   * The harness carries out what the Lambda and CodeBuild services do, so a service principal of
   * a trust policy becomes the harness's own principal (moto cannot evaluate service principals
   * for AssumeRole). AWS principals (the environment roles trusting the runner) stay as written.
   */
  private servicesAsHarness(trust: TrustPolicy): TrustPolicy {
    const harness = `arn:aws:iam::${this.moto.accountId}:user/stageline-test-admin`;
    return {
      ...trust,
      Statement: trust.Statement.map((statement) => (statement.Principal && 'Service' in statement.Principal ? { ...statement, Principal: { AWS: harness } } : statement)),
    };
  }

  private registerFunctions(): void {
    const r = this.resolver;
    for (const [id, resource] of r.resourcesOfType('AWS::Lambda::Function')) {
      const properties = resource.Properties ?? {};
      const code = properties['Code'] as { S3Key?: string; ZipFile?: string };
      let codeDir: string;
      if (code.ZipFile !== undefined) {
        // Inline code (custom-resource handlers): a folder inside the repository, so its require('@aws-sdk/...') resolves as the runtime's SDK.
        codeDir = join(this.assembly.dir, `inline.${id}`);
        mkdirSync(codeDir, { recursive: true });
        writeFileSync(join(codeDir, 'index.js'), r.resolveString(code.ZipFile, `${id}.Code.ZipFile`));
      } else {
        codeDir = join(this.assembly.dir, `asset.${String(code.S3Key).replace(/\.zip$/, '')}`);
      }
      const variables = ((properties['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
      const spec: FunctionSpec = {
        logicalId: id,
        name: r.ref(id),
        arn: r.getAtt(id, 'Arn'),
        codeDir,
        handler: String(properties['Handler'] ?? 'index.handler'),
        environment: Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, r.resolveString(value, `${id}.Environment.Variables.${name}`)])),
        roleArn: r.resolveString(properties['Role'], `${id}.Role`),
        timeoutSeconds: Number(properties['Timeout'] ?? 3),
      };
      this.lambdas.register(spec);
    }
  }

  private async createProject(): Promise<void> {
    const r = this.resolver;
    const [entry] = r.resourcesOfType('AWS::CodeBuild::Project');
    if (!entry) throw new Error('the template has no CodeBuild project (the stack-job runner)');
    const [id, resource] = entry;
    const properties = resource.Properties ?? {};
    const source = properties['Source'] as { Type: string; Location?: unknown; BuildSpec: unknown };
    const location = r.resolveString(source.Location, `${id}.Source.Location`);
    const assetHash = location.split('/').pop()!.replace(/\.zip$/, '');
    const environment = properties['Environment'] as { EnvironmentVariables?: Array<{ Name: string; Value: unknown; Type?: string }>; Image: string; ComputeType: string; Type: string };
    const serviceRoleArn = r.resolveString(properties['ServiceRole'], `${id}.ServiceRole`);
    const name = r.ref(id);
    await this.admin.codebuild.send(
      new CreateProjectCommand({
        name,
        source: { type: 'S3', location },
        artifacts: { type: 'NO_ARTIFACTS' },
        environment: { type: environment.Type as never, image: environment.Image, computeType: environment.ComputeType as never },
        serviceRole: serviceRoleArn,
      }),
    );
    this.codebuild = new CodeBuildHost({
      project: {
        name,
        arn: r.getAtt(id, 'Arn'),
        sourceDir: join(this.assembly.dir, `asset.${assetHash}`),
        buildSpec: r.resolveString(source.BuildSpec, `${id}.Source.BuildSpec`),
        environment: Object.fromEntries((environment.EnvironmentVariables ?? []).map((variable) => [variable.Name, r.resolveString(variable.Value, `${id}.EnvironmentVariables.${variable.Name}`)])),
        serviceRoleArn,
      },
      endpoint: this.proxy.endpoint,
      region: this.moto.region,
      // Like CodeBuild's relative URI: unguessable, and nowhere but in the build's environment.
      credentialsUrlFor: (buildId) => {
        const secret = randomUUID();
        this.buildCredentialUrls.set(secret, buildId);
        return `${this.serverUrl}/codebuild-credentials/${secret}`;
      },
      imageEnvironment: this.options.runnerImageEnvironment ?? {},
      logs: this.logs,
      onEnd: (build) => this.buildEnded(build),
    });
  }

  private async createStateMachine(): Promise<void> {
    const r = this.resolver;
    const [entry] = r.resourcesOfType('AWS::StepFunctions::StateMachine');
    if (!entry) throw new Error('the template has no state machine');
    const [id, resource] = entry;
    const properties = resource.Properties ?? {};
    const substitutions = r.resolve(properties['DefinitionSubstitutions'] ?? {}) as Record<string, string>;
    const definition = r
      .resolveString(properties['DefinitionString'], `${id}.DefinitionString`)
      .replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => (Object.hasOwn(substitutions, name) ? substitutions[name]! : whole));
    this.stateMachineArn = r.ref(id);
    this.proxy.taskResource = this.stateMachineArn;
    await this.admin.sfn.send(new CreateStateMachineCommand({ name: r.getAtt(id, 'Name'), definition, roleArn: r.resolveString(properties['RoleArn'], `${id}.RoleArn`) }));
    this.executions = new ExecutionHost(definition, this.lambdas, (execution) => this.executionEnded(execution));
  }

  /** Each rule as the template writes it; its Lambda targets are reached through an SQS queue the harness drains. */
  private async createRules(): Promise<void> {
    const r = this.resolver;
    for (const [id] of r.resourcesOfType('AWS::Events::EventBus')) await this.admin.events.send(new CreateEventBusCommand({ Name: r.ref(id) }));
    for (const [id, resource] of r.resourcesOfType('AWS::Events::EventBusPolicy')) {
      const properties = resource.Properties ?? {};
      const statement = { Sid: properties['StatementId'], ...(r.resolve(properties['Statement']) as object) };
      await this.admin.events.send(new PutPermissionCommand({ EventBusName: r.resolveString(properties['EventBusName'], `${id}.EventBusName`), Policy: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }) }));
    }
    for (const [id, resource] of r.resourcesOfType('AWS::Events::Rule')) {
      const properties = resource.Properties ?? {};
      const name = r.ref(id);
      const eventBusName = properties['EventBusName'] ? r.resolveString(properties['EventBusName']) : 'default';
      await this.admin.events.send(new PutRuleCommand({ Name: name, EventBusName: eventBusName, EventPattern: JSON.stringify(r.resolve(properties['EventPattern'])), State: 'ENABLED' }));
      const targets = (properties['Targets'] as Array<{ Arn: unknown; Id: string }> | undefined) ?? [];
      for (const target of targets) {
        const functionArn = r.resolveString(target.Arn, `${id}.Targets`);
        const queueName = `rule-${createHashShort(`${name}/${target.Id}`)}`;
        const queue = await this.admin.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
        await this.admin.events.send(
          new PutTargetsCommand({ Rule: name, EventBusName: eventBusName, Targets: [{ Id: target.Id, Arn: `arn:aws:sqs:${this.moto.region}:${this.moto.accountId}:${queueName}` }] }),
        );
        this.ruleQueues.push(queue.QueueUrl!);
        this.pollers.push(this.drain(queue.QueueUrl!, (body) => this.invokeAsync(functionArn, JSON.parse(body))));
      }
    }
  }

  /** Each email subscription becomes an inbox: an SQS queue subscribed with the same filter policy. */
  private async subscribeInboxes(): Promise<void> {
    const r = this.resolver;
    for (const [id, resource] of r.resourcesOfType('AWS::SNS::Subscription')) {
      const properties = resource.Properties ?? {};
      if (properties['Protocol'] !== 'email') continue;
      const email = r.resolveString(properties['Endpoint'], `${id}.Endpoint`);
      const queueName = `inbox-${createHashShort(email)}`;
      const queue = await this.admin.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
      const attributes: Record<string, string> = {};
      if (properties['FilterPolicy']) attributes['FilterPolicy'] = JSON.stringify(r.resolve(properties['FilterPolicy']));
      if (properties['FilterPolicyScope']) attributes['FilterPolicyScope'] = r.resolveString(properties['FilterPolicyScope']);
      await this.admin.sns.send(
        new SubscribeCommand({ TopicArn: r.resolveString(properties['TopicArn'], `${id}.TopicArn`), Protocol: 'sqs', Endpoint: `arn:aws:sqs:${this.moto.region}:${this.moto.accountId}:${queueName}`, Attributes: attributes }),
      );
      this.inboxes.set(email, queue.QueueUrl!);
    }
  }

  private async runCustomResources(): Promise<void> {
    const r = this.resolver;
    for (const [id, resource] of Object.entries(this.assembly.template.Resources)) {
      const properties = resource.Properties ?? {};
      if (resource.Type === 'Custom::AWS') {
        // AwsCustomResource: an SDK call, carried out as the administrator (CloudFormation's deploy role).
        const create = JSON.parse(r.resolveString(properties['Create'], `${id}.Create`)) as { service: string; action: string; parameters: Record<string, string> };
        if (`${create.service}:${create.action}`.toLowerCase() !== 's3:putobject') throw new Error(`${id}: custom SDK call ${create.service}.${create.action} is not emulated`);
        await this.admin.s3.send(new PutObjectCommand({ Bucket: create.parameters['Bucket'], Key: create.parameters['Key'], Body: create.parameters['Body'] }));
      } else if (resource.Type === 'Custom::S3BucketNotifications') {
        const configuration = r.resolve(properties['NotificationConfiguration']) as { EventBridgeConfiguration?: object };
        await this.admin.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: r.resolveString(properties['BucketName']), NotificationConfiguration: configuration as never }));
      } else if (resource.Type.startsWith('Custom::')) {
        // A Lambda-backed custom resource: its own function, with CloudFormation's Create event.
        const serviceToken = r.resolveString(properties['ServiceToken'], `${id}.ServiceToken`);
        const requestId = randomUUID();
        const answered = new Promise<unknown>((resolve) => this.customResourceAnswers.set(requestId, resolve));
        const { ServiceToken: _token, ...resourceProperties } = r.resolve(properties) as Record<string, unknown>;
        await this.lambdas.invoke(serviceToken, {
          RequestType: 'Create',
          ServiceToken: serviceToken,
          ResponseURL: `${this.responseUrl}/${requestId}`,
          StackId: `arn:aws:cloudformation:${this.moto.region}:${this.moto.accountId}:stack/${this.assembly.stackName}/0`,
          RequestId: requestId,
          LogicalResourceId: id,
          ResourceType: resource.Type,
          ResourceProperties: { ServiceToken: serviceToken, ...resourceProperties },
        });
        const answer = (await answered) as { Status?: string; Reason?: string };
        if (answer.Status !== 'SUCCESS') throw new Error(`custom resource ${id} failed: ${answer.Reason}`);
      }
    }
  }

  /** The calls moto accepts but cannot carry out: executions, task callbacks, builds. */
  private hookProxy(): void {
    this.proxy.afterAllowed('states:StartExecution', async ({ body, motoBody }) => {
      const request = JSON.parse(body) as { name: string; input?: string };
      const { executionArn } = JSON.parse(motoBody) as { executionArn: string };
      // Step Functions answers a repeated StartExecution (same name and input, still running) with the running execution.
      if (!this.executions.executions.has(executionArn)) this.executions.start(executionArn, request.name, request.input ?? '{}');
      return undefined;
    });
    this.proxy.afterAllowed('states:DescribeExecution', async ({ body, motoBody }) => {
      const { executionArn } = JSON.parse(body) as { executionArn: string };
      const execution = this.executions.executions.get(executionArn);
      if (!execution) return undefined;
      return { status: 200, body: JSON.stringify({ ...JSON.parse(motoBody), status: execution.status, ...(execution.error ? { error: execution.error, cause: execution.cause } : {}) }) };
    });
    this.proxy.afterAllowed('states:StopExecution', async ({ body }) => {
      const { executionArn } = JSON.parse(body) as { executionArn: string };
      this.executions.executions.get(executionArn)?.abort();
      return undefined;
    });
    for (const action of ['SendTaskSuccess', 'SendTaskFailure', 'SendTaskHeartbeat'] as const) {
      this.proxy.afterAllowed(`states:${action}`, async ({ body }) => this.executions.deliver(action, JSON.parse(body)));
    }
    this.proxy.afterAllowed('codebuild:StartBuild', async ({ body, motoBody }) => {
      const request = JSON.parse(body) as { environmentVariablesOverride?: BuildRecord['overrides'] };
      const { build } = JSON.parse(motoBody) as { build: { id: string } };
      const record = this.codebuild.start(build.id, request.environmentVariablesOverride ?? []);
      this.track(record.done);
      // moto's build has ISO-string timestamps where the API has epoch seconds: answer as CodeBuild does.
      const answer = { build: { id: record.id, arn: record.arn, projectName: record.id.split(':')[0], buildStatus: 'IN_PROGRESS', currentPhase: 'QUEUED', startTime: Date.now() / 1000 } };
      return { status: 200, body: JSON.stringify(answer), contentType: 'application/x-amz-json-1.1' };
    });
  }

  // ---- the account at work -----------------------------------------------------------------

  /** Credentials of a role from sts:AssumeRole (called by the administrator; cached per role). */
  async credentialsFor(roleArn: string, label?: string): Promise<Credentials> {
    const cached = this.credentialCache.get(roleArn);
    if (cached) return cached;
    const response = await this.admin.sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'emulated-account', DurationSeconds: 3600 }));
    const found = response.Credentials!;
    const credentials = { accessKeyId: found.AccessKeyId!, secretAccessKey: found.SecretAccessKey!, sessionToken: found.SessionToken! };
    this.proxy.nameAccessKey(credentials.accessKeyId, label ?? this.roleLabels.get(roleArn) ?? roleArn);
    this.credentialCache.set(roleArn, credentials);
    return credentials;
  }

  /** An invocation as EventBridge makes one (asynchronous): retried, then sent to the on-failure destination. */
  private invokeAsync(functionArn: string, event: unknown): Promise<void> {
    const run = (async () => {
      const config = this.eventInvokeConfig(functionArn);
      let lastError: unknown;
      for (let attempt = 0; attempt <= config.retries; attempt++) {
        try {
          const result = await this.lambdas.invoke(functionArn, event);
          return void result;
        } catch (error) {
          lastError = error;
        }
      }
      if (config.onFailure) {
        // Lambda sends the record with the function's own execution role.
        const spec = this.lambdas.spec(functionArn);
        const sqs = new SQSClient(this.clientConfig(await this.credentialsFor(spec.roleArn)));
        const queueName = config.onFailure.split(':').pop()!;
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: `${this.proxy.endpoint}/${this.moto.accountId}/${queueName}`,
            MessageBody: JSON.stringify({ requestContext: { functionArn, condition: 'RetriesExhausted' }, requestPayload: event, responsePayload: { errorType: (lastError as Error).name, errorMessage: (lastError as Error).message } }),
          }),
        );
      }
    })();
    this.track(run);
    return run;
  }

  private eventInvokeConfig(functionArn: string): { retries: number; onFailure?: string } {
    const r = this.resolver;
    for (const [id, resource] of r.resourcesOfType('AWS::Lambda::EventInvokeConfig')) {
      const properties = resource.Properties ?? {};
      const name = r.resolveString(properties['FunctionName'], `${id}.FunctionName`);
      if (name !== this.lambdas.spec(functionArn).name && name !== functionArn) continue;
      const destination = (properties['DestinationConfig'] as { OnFailure?: { Destination: unknown } } | undefined)?.OnFailure?.Destination;
      return { retries: Number(properties['MaximumRetryAttempts'] ?? 2), ...(destination ? { onFailure: r.resolveString(destination) } : {}) };
    }
    return { retries: 2 };
  }

  /** Hands a rule's matched events to its target, as EventBridge does, until the account stops. */
  private async drain(queueUrl: string, deliver: (body: string) => Promise<void>): Promise<void> {
    const sqs = this.admin.sqs;
    while (!this.stopped) {
      try {
        const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
        for (const message of Messages ?? []) {
          void deliver(message.Body ?? '{}');
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
        }
      } catch (error) {
        if (this.stopped) return;
        this.logs.push({ source: 'eventbridge', line: `delivery from ${queueUrl} failed: ${String(error)}` });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** "Step Functions Execution Status Change", as Step Functions sends it to the default bus. */
  private async executionEnded(execution: HostedExecution): Promise<void> {
    // moto's record of the execution must stop running too: a closed execution's name is taken (ExecutionAlreadyExists).
    await this.motoSfn.send(new StopExecutionCommand({ executionArn: execution.arn })).catch(() => undefined);
    await this.admin.events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.states',
            DetailType: 'Step Functions Execution Status Change',
            Resources: [execution.arn],
            Detail: JSON.stringify({
              executionArn: execution.arn,
              stateMachineArn: this.stateMachineArn,
              name: execution.name,
              status: execution.status,
              startDate: Date.now(),
              stopDate: Date.now(),
              input: execution.input,
              ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
            }),
          },
        ],
      }),
    );
  }

  /** "CodeBuild Build State Change" with the build's final status and its environment variables. */
  private async buildEnded(build: BuildRecord): Promise<void> {
    await this.admin.events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.codebuild',
            DetailType: 'CodeBuild Build State Change',
            Resources: [build.arn],
            Detail: JSON.stringify({
              'build-status': build.status,
              'project-name': build.id.split(':')[0],
              'build-id': build.arn,
              'additional-information': { environment: { 'environment-variables': build.overrides.map((variable) => ({ type: 'PLAINTEXT', ...variable })) } },
            }),
          },
        ],
      }),
    );
  }

  /** The run record (runs/<runId>/run.json), read by the administrator. */
  async run(runId: string): Promise<RunRecord> {
    return (await readRun(this.store(), runId))!;
  }

  /** Polls the run record until `done` holds for it. */
  async waitForRun(runId: string, done: (run: RunRecord) => boolean, what: string, timeoutMs = 100_000): Promise<RunRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await readRun(this.store(), runId);
      if (run && done(run)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId}: timed out waiting for ${what}; now ${run ? `${run.status}: ${run.tasks.map((task) => `${task.env}=${task.status}`).join(', ')}` : 'no run.json'}\n${this.recentLogs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Until the run reached a final status, and everything it set off has settled. */
  async waitForRunEnd(runId: string, timeoutMs = 100_000): Promise<RunRecord> {
    await this.waitForRun(runId, (run) => FINAL_RUN_STATUSES.includes(run.status), 'the run to end', timeoutMs);
    const execution = [...this.executions.executions.values()].find((candidate) => candidate.name === runId);
    await execution?.done;
    await this.settled();
    return this.run(runId);
  }

  /** The last log lines, for a failure message. */
  recentLogs(count = 40): string {
    return this.logs.slice(-count).map((entry) => `  [${entry.source}] ${entry.line}`).join('\n');
  }

  store(): S3ArtifactStore {
    return new S3ArtifactStore({ bucket: this.bucket, client: this.admin.s3 });
  }

  /**
   * Waits until no build, asynchronous invocation or matched event is in flight — seen idle
   * twice, a quarter second apart (an event the bus is still routing is in no queue yet).
   */
  async settled(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let idleChecks = 0;
    while (idleChecks < 2) {
      if (Date.now() > deadline) throw new Error(`the account did not settle within ${timeoutMs} ms (${this.pending.size} in flight)`);
      const busy = this.pending.size > 0 || (await this.queuedEvents()) > 0;
      idleChecks = busy ? 0 : idleChecks + 1;
      await Promise.race([Promise.all([...this.pending]), new Promise((resolve) => setTimeout(resolve, busy ? 100 : 250))]);
    }
  }

  /** Events a rule matched that the harness has not handed to the target yet. */
  private async queuedEvents(): Promise<number> {
    let count = 0;
    for (const queueUrl of this.ruleQueues) {
      const { Attributes } = await this.admin.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      count += Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    }
    return count;
  }

  /** Every message the approver's email subscription received so far (kept: scenarios share approvers). */
  async inbox(email: string): Promise<Email[]> {
    const queueUrl = this.inboxes.get(email);
    if (!queueUrl) throw new Error(`${email} has no email subscription in the template`);
    const received = this.received.get(email) ?? [];
    this.received.set(email, received);
    for (const body of await this.receiveAll(queueUrl)) {
      const envelope = JSON.parse(body || '{}') as { Subject?: string; Message?: string };
      received.push({ subject: envelope.Subject ?? '', message: envelope.Message ?? '' });
    }
    return [...received];
  }

  /** Every object in the bucket, with its body. */
  async objects(): Promise<Map<string, string>> {
    const objects = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await this.admin.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }));
      for (const item of page.Contents ?? []) {
        const object = await this.admin.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: item.Key! }));
        objects.set(item.Key!, (await object.Body?.transformToString('utf-8')) ?? '');
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /** Receives (and deletes) every message of a queue. */
  async receiveAll(queueUrl: string): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const { Messages } = await this.admin.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!Messages?.length) return bodies;
      for (const message of Messages) {
        bodies.push(message.Body ?? '');
        await this.admin.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
  }

  async queueDepth(queueUrl: string): Promise<number> {
    const { Attributes } = await this.admin.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.race([Promise.all([...this.pending]), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await this.lambdas.stop();
    await Promise.race([Promise.all(this.pollers.map((poller) => poller.catch(() => undefined))), new Promise((resolve) => setTimeout(resolve, 1500))]);
    await this.proxy.stop();
    for (const server of [this.server, this.tlsServer]) {
      if (!server) continue;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.moto.stop();
  }

  // ---- the account's HTTP face: function URL, container credentials, CloudFormation responses

  private async startServer(): Promise<void> {
    // CloudFormation's ResponseURL is an https (pre-signed S3) URL: the custom-resource handlers
    // answer over TLS, so the harness serves those answers with a loopback certificate the
    // functions trust (NODE_EXTRA_CA_CERTS), next to the plain-HTTP function URL.
    const tls = loopbackCertificate();
    this.caFile = tls.certFile;
    this.tlsServer = createHttpsServer({ key: tls.key, cert: tls.cert }, (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.customResourceAnswers.get((request.url ?? '').split('/').pop() ?? '')?.(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
        response.writeHead(200);
        response.end();
      });
    });
    await new Promise<void>((resolve) => this.tlsServer!.listen(0, '127.0.0.1', resolve));
    this.responseUrl = `https://127.0.0.1:${(this.tlsServer.address() as AddressInfo).port}/cfn-response`;
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void this.serve(request.method ?? 'GET', request.url ?? '/', request.headers as Record<string, string>, Buffer.concat(chunks).toString('utf8')).then(
          ({ status, headers, body }) => {
            response.writeHead(status, headers);
            response.end(body);
          },
          (error: unknown) => {
            response.writeHead(502, { 'content-type': 'text/plain' });
            response.end(String(error));
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.serverUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async serve(method: string, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const path = url.split('?')[0]!;
    if (path.startsWith('/codebuild-credentials/')) {
      const buildId = this.buildCredentialUrls.get(path.slice('/codebuild-credentials/'.length)) ?? '';
      if (!this.codebuild.builds.some((build) => build.id === buildId && build.status === 'IN_PROGRESS')) return { status: 404, headers: {}, body: 'no such build' };
      const credentials = await this.credentialsFor(this.codebuildRoleArn(), 'runner');
      const expiration = new Date(Date.now() + 3600_000).toISOString();
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ AccessKeyId: credentials.accessKeyId, SecretAccessKey: credentials.secretAccessKey, Token: credentials.sessionToken, Expiration: expiration }),
      };
    }
    // The approval function's URL (payload format 2.0).
    const [urlEntry] = this.resolver.resourcesOfType('AWS::Lambda::Url');
    if (!urlEntry) return { status: 404, headers: {}, body: 'no function URL' };
    const target = this.resolver.resolveString(urlEntry[1].Properties?.['TargetFunctionArn'], `${urlEntry[0]}.TargetFunctionArn`);
    const event = {
      version: '2.0',
      rawPath: path,
      rawQueryString: url.includes('?') ? url.slice(url.indexOf('?') + 1) : '',
      // As a function URL does: the scheme the client used (https in AWS; this endpoint is plain HTTP).
      headers: { ...headers, 'x-forwarded-proto': 'http' },
      body,
      isBase64Encoded: false,
      requestContext: { http: { method, path, sourceIp: '127.0.0.1' } },
    };
    try {
      const result = (await this.lambdas.invoke(target, event)) as { statusCode: number; headers?: Record<string, string>; body?: string };
      return { status: result.statusCode, headers: result.headers ?? {}, body: result.body ?? '' };
    } catch {
      return { status: 502, headers: { 'content-type': 'application/json' }, body: '{"Message":"Internal Server Error"}' };
    }
  }

  codebuildRoleArn(): string {
    return this.codebuild['options'].project.serviceRoleArn;
  }
}

function makeClients(config: { endpoint: string; region: string; credentials: Credentials; forcePathStyle: true }): Clients {
  return {
    s3: new S3Client(config),
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
    iam: new IAMClient(config),
    sts: new STSClient(config),
    secrets: new SecretsManagerClient(config),
    sns: new SNSClient(config),
    sfn: new SFNClient(config),
    codebuild: new CodeBuildClient(config),
  };
}

/** A self-signed certificate for 127.0.0.1 (openssl), for the harness's TLS endpoint. */
function loopbackCertificate(): { key: string; cert: string; certFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stageline-account-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

function createHashShort(text: string): string {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash.toString(36);
}

export { REPO_ROOT };
