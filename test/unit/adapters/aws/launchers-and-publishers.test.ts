import 'aws-sdk-client-mock-vitest/extend';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CodeBuildStackJobLauncher } from '../../../../lib/adapters/aws/codebuild-stack-job-launcher.js';
import { EventBridgePublisher } from '../../../../lib/adapters/aws/eventbridge-publisher.js';
import { SfnExecutionStarter } from '../../../../lib/adapters/aws/sfn-execution-starter.js';
import type { StackJobRequest } from '../../../../lib/ports/stack-job-launcher.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const codebuild = mockClient(CodeBuildClient);
const sfn = mockClient(SFNClient);
const events = mockClient(EventBridgeClient);
const region = { region: 'eu-west-1' };
const stateMachineArn = 'arn:aws:states:eu-west-1:111111111111:stateMachine:StagelineDeploymentStage';

beforeEach(() => {
  codebuild.reset();
  sfn.reset();
  events.reset();
});

const request: StackJobRequest = {
  runId: 'svc-abcdef123456-0123456789ab',
  org: 'acme',
  service: 'svc',
  taskIndex: 2,
  overlay: 'app-production',
  env: 'app-production',
  kind: 'KubernetesDeployment',
  name: 'svc',
  manifestKey: 'runs/svc-abcdef123456-0123456789ab/manifests/aa.yaml',
  digest: 'aa',
  taskToken: 'AQCEAAAAKgAAAA-token',
  awsRoleArn: 'arn:aws:iam::222222222222:role/stageline-deployer',
};

/** Enough of an ArtifactStore for the launcher: it only writes the job. */
function memoryStore() {
  const objects = new Map<string, string>();
  return {
    objects,
    get: async (key: string) => (objects.has(key) ? { body: objects.get(key)!, etag: '1' } : undefined),
    put: async (key: string, body: string) => {
      objects.set(key, body);
      return { etag: '1' };
    },
    list: async (prefix: string) => [...objects.keys()].filter((key) => key.startsWith(prefix)),
    delete: async (key: string) => {
      objects.delete(key);
    },
  };
}

describe('CodeBuildStackJobLauncher', () => {
  it('writes the job to the bucket and starts one build with only its key (the task token stays out of CodeBuild)', async () => {
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'stageline-runner:1234' } });
    const store = memoryStore();
    const launcher = new CodeBuildStackJobLauncher({ projectName: 'stageline-runner', store, client: new CodeBuildClient(region) });

    expect(await launcher.launch(request)).toEqual({ jobId: 'stageline-runner:1234' });
    const key = 'runs/svc-abcdef123456-0123456789ab/jobs/2-app-production.json';
    expect(JSON.parse(store.objects.get(key)!)).toEqual(request);
    expect(codebuild).toHaveReceivedCommandExactlyOnceWith(StartBuildCommand, {
      projectName: 'stageline-runner',
      environmentVariablesOverride: [{ name: 'STAGELINE_JOB_KEY', value: key, type: 'PLAINTEXT' }],
    });
    expect(JSON.stringify(codebuild.commandCalls(StartBuildCommand)[0]!.args[0].input)).not.toContain(request.taskToken);
  });

  it('derives the idempotency token from run, task and digest: a retried launch step (a NEW task token in AWS) does not start a second build', async () => {
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'stageline-runner:1' } });
    const store = memoryStore();
    const launcher = new CodeBuildStackJobLauncher({ projectName: 'stageline-runner', store, client: new CodeBuildClient(region) });

    await launcher.launch(request);
    await launcher.launch({ ...request, taskToken: 'token-of-the-retried-attempt' });
    // The job file holds the newest token: the (one) build reports with it.
    expect(JSON.parse(store.objects.get('runs/svc-abcdef123456-0123456789ab/jobs/2-app-production.json')!).taskToken).toBe('token-of-the-retried-attempt');
    await launcher.launch({ ...request, taskIndex: 3, overlay: 'app-other' });
    await launcher.launch({ ...request, runId: 'svc-abcdef123456-ffffffffffff' });
    await launcher.launch({ ...request, digest: 'bb' });

    const tokens = codebuild.commandCalls(StartBuildCommand).map((call) => call.args[0].input.idempotencyToken);
    expect(tokens[1]).toBe(tokens[0]);
    expect(new Set(tokens.slice(1)).size).toBe(4); // another task, run or manifest is another build
    expect(tokens[0]).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('SfnExecutionStarter', () => {
  it('starts the execution with the run id as its name', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:111111111111:execution:StagelineDeploymentStage:r1', startDate: new Date() });
    const starter = new SfnExecutionStarter({ stateMachineArn, client: new SFNClient(region) });

    expect(await starter.start('r1', { runId: 'r1' })).toEqual({ executionId: 'arn:aws:states:eu-west-1:111111111111:execution:StagelineDeploymentStage:r1', alreadyStarted: false });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn, name: 'r1', input: '{"runId":"r1"}' });
  });

  it('answers alreadyStarted for ExecutionAlreadyExists (a repeated build event)', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const starter = new SfnExecutionStarter({ stateMachineArn, client: new SFNClient(region) });

    expect(await starter.start('r1', { runId: 'r1' })).toEqual({ executionId: 'arn:aws:states:eu-west-1:111111111111:execution:StagelineDeploymentStage:r1', alreadyStarted: true });
  });
});

describe('EventBridgePublisher', () => {
  const build = { org: 'acme', service: 'svc', commitSha: 'abcdef1234567', branch: 'main', image: 'svc:1', triggeredBy: 'dev@acme.io' };

  it('publishes source stageline.build, detail-type Build Completed, the build as detail', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    expect(await new EventBridgePublisher({ client: new EventBridgeClient(region) }).publishBuildCompleted(build)).toEqual({ eventId: 'e-1' });
    expect(events).toHaveReceivedCommandWith(PutEventsCommand, { Entries: [{ Source: 'stageline.build', DetailType: 'Build Completed', Detail: JSON.stringify(build) }] });
  });

  it('fails with the bus error when the entry is refused', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not allowed' }] });

    await expect(new EventBridgePublisher({ client: new EventBridgeClient(region), eventBusName: 'builds' }).publishBuildCompleted(build)).rejects.toMatchObject({
      code: 'EVENT_PUBLISH_FAILED',
      message: expect.stringContaining('AccessDeniedException'),
    });
    expect(events).toHaveReceivedCommandWith(PutEventsCommand, { Entries: [expect.objectContaining({ EventBusName: 'builds' })] });
  });
});
