import 'aws-sdk-client-mock-vitest/extend';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '../../../lib/adapters/aws/s3-artifact-store.js';
import { deployToAwsCommand, type DeployToAwsOptions } from '../../../lib/cli/commands/deploy-aws.js';
import { readRun, runKey, serialize, type BuildEvent, type RunRecord, type RunTask } from '../../../lib/pipeline/workflow/records.js';
import { executionNameFor } from '../../../lib/pipeline/workflow/start-pipeline.js';
import { captureIo } from '../../unit/pipeline/capture-io.js';
import { startMotoS3, type MotoS3 } from './moto-s3.js';

// `stageline deploy` to AWS: the bucket is S3 in moto (an emulated account) over HTTP; EventBridge and Step Functions are
// mocked, and the mocked PutEvents plays the deployment stage (start-pipeline, then the steps)
// by writing run.json into the bucket, as the Lambdas would.
const REPO = resolve(import.meta.dirname, '../../..');
const STATE_MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:StagelineDeploymentStage';
const events = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
/** The build system's credentials (a role session), as STS names them. */
const CALLER_ARN = 'arn:aws:sts::111111111111:assumed-role/github-actions-deployer/run-42';
let s3: MotoS3;
let buckets = 0;
const dirs: string[] = [];

beforeAll(async () => {
  s3 = await startMotoS3();
});
afterAll(async () => {
  await s3?.close();
});
beforeEach(() => {
  events.reset();
  sfn.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER_ARN, Account: '111111111111', UserId: 'AROAEXAMPLE:run-42' });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
});
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The example service, copied outside any git checkout (its commit is then a digest of the source). */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stageline-deploy-aws-'));
  dirs.push(dir);
  cpSync(join(REPO, 'examples/hello-service/stageline.yaml'), join(dir, 'stageline.yaml'));
  cpSync(join(REPO, 'examples/hello-service/_kustomize'), join(dir, '_kustomize'), { recursive: true });
  return dir;
}

async function stagelineBucket(org = 'acme'): Promise<{ bucket: string; store: S3ArtifactStore }> {
  const bucket = `stageline-deploy-${++buckets}`;
  await s3.createBucket(bucket);
  const store = new S3ArtifactStore({ bucket, client: s3.client });
  await store.put('config/organization.yaml', `apiVersion: stageline.dev/v1\nkind: Organization\nmetadata: { name: ${org} }\nspec:\n  environments: [{ name: app-dev }, { name: app-staging }]\n`);
  return { bucket, store };
}

function deploy(dir: string, bucket: string, options: Partial<DeployToAwsOptions> = {}, env: NodeJS.ProcessEnv = { STAGELINE_STATE_MACHINE_ARN: STATE_MACHINE }) {
  const io = captureIo(dir);
  const done = deployToAwsCommand(
    { project: '.', bucket, region: 'eu-west-1', triggeredBy: 'dev@acme.io', image: 'registry.example/hello:1', ...options },
    io,
    {
      s3: s3.client,
      eventBridge: new EventBridgeClient({ region: 'eu-west-1' }),
      sfn: new SFNClient({ region: 'eu-west-1' }),
      sts: new STSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'example', sessionToken: 'session-token' } }),
      env,
      pollMs: 15,
      startTimeoutMs: 500,
    },
  );
  return { io, done };
}

function publishedBuild(): BuildEvent {
  const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
  return JSON.parse(entry.Detail!) as BuildEvent;
}

/** Plays the deployment stage for the published build: the run appears, each environment moves on, the run ends. */
function playDeploymentStage(store: S3ArtifactStore, outcome: 'SUCCEEDED' | 'FAILED') {
  events.on(PutEventsCommand).callsFake(async (input: { Entries: { Detail: string }[] }) => {
    const build = JSON.parse(input.Entries[0]!.Detail) as BuildEvent;
    const runId = executionNameFor(build);
    const task = (index: number, env: string): RunTask => ({ index, overlay: env.replace('app-', ''), env, kind: 'KubernetesDeployment', name: 'hello', digest: 'd', gated: false, status: 'PENDING', references: { secrets: [], variables: [] } });
    const run: RunRecord = { schemaVersion: 1, runId, build, status: 'RUNNING', createdAt: 'now', updatedAt: 'now', tasks: [task(0, 'app-dev'), task(1, 'app-staging')], skipped: [], warnings: [] };
    const steps: ((record: RunRecord) => void)[] = [
      (record) => void (record.tasks[0]!.status = 'APPLYING'),
      (record) => void (record.tasks[0]!.status = 'SUCCEEDED'),
      (record) => {
        record.tasks[1]!.status = outcome === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
        if (outcome === 'FAILED') record.failure = { env: 'app-staging', error: 'Stageline.StackJobFailed', cause: 'apply exited 1' };
        record.status = outcome;
      },
    ];
    void (async () => {
      await new Promise((resolve) => setTimeout(resolve, 40));
      await store.put(runKey(runId), serialize(run));
      for (const step of steps) {
        await new Promise((resolve) => setTimeout(resolve, 60));
        step(run);
        await store.put(runKey(runId), serialize(run));
      }
    })();
    return { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };
  });
}

describe('stageline deploy (AWS)', () => {
  it('uploads the source subset and build.json, publishes Build Completed, prints the execution name and console URL', async () => {
    const dir = project();
    const { bucket, store } = await stagelineBucket();

    const { io, done } = deploy(dir, bucket);
    await done;

    const build = publishedBuild();
    // triggeredBy is who the credentials are (start-pipeline takes it from STS), not --triggered-by.
    expect(build).toMatchObject({ org: 'acme', service: 'hello-service', branch: 'main', image: 'registry.example/hello:1', triggeredBy: CALLER_ARN });
    expect(io.stderr.join('\n')).toContain(`--triggered-by dev@acme.io is not used in AWS: the run records the caller AWS authenticates, ${CALLER_ARN}`);
    // The record carries its proof: a GetCallerIdentity presigned by these credentials, bound to the record's digest.
    const proof = new URL((build as BuildEvent & { callerProof: string }).callerProof);
    expect(proof.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(Object.fromEntries(proof.searchParams)).toMatchObject({ Action: 'GetCallerIdentity', 'X-Amz-SignedHeaders': 'host;x-stageline-build-sha256', 'X-Amz-Expires': '900', 'X-Amz-Security-Token': 'session-token' });
    expect(proof.searchParams.get('X-Amz-Credential')).toMatch(/^ASIAEXAMPLE\/\d{8}\/eu-west-1\/sts\/aws4_request$/);
    expect(events).toHaveReceivedCommandWith(PutEventsCommand, { Entries: [expect.objectContaining({ EventBusName: 'Stageline-builds', Source: 'stageline.build', DetailType: 'Build Completed' })] });
    const prefix = `builds/hello-service/${build.commitSha}/`;
    const keys = await store.list(prefix);
    expect(keys).toContain(`${prefix}build.json`);
    expect(keys).toContain(`${prefix}source/stageline.yaml`);
    expect(keys).toContain(`${prefix}source/_kustomize/overlays/production/kustomization.yaml`);
    expect(JSON.parse((await store.get(`${prefix}build.json`))!.body)).toEqual(build);
    const runId = executionNameFor(build);
    expect(io.stdout).toEqual([
      `execution: ${runId}`,
      `console: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:111111111111:execution:StagelineDeploymentStage:${runId}`,
    ]);
  });

  it('removes source files of an earlier upload of the same commit that are gone from the project', async () => {
    const dir = project();
    const { bucket, store } = await stagelineBucket();
    writeFileSync(join(dir, '_kustomize/overlays/dev/extra.yaml'), 'a: 1\n');
    await deploy(dir, bucket, { commit: 'abcdef1234567' }).done;
    rmSync(join(dir, '_kustomize/overlays/dev/extra.yaml'));

    await deploy(dir, bucket, { commit: 'abcdef1234567' }).done;

    expect(await store.list('builds/hello-service/abcdef1234567/source/_kustomize/overlays/dev/')).not.toContain('builds/hello-service/abcdef1234567/source/_kustomize/overlays/dev/extra.yaml');
  });

  it('--follow prints each environment as it moves, then the final table', async () => {
    const dir = project();
    const { bucket, store } = await stagelineBucket();
    playDeploymentStage(store, 'SUCCEEDED');

    const { io, done } = deploy(dir, bucket, { follow: true });
    await done;

    const progress = io.stderr.filter((line) => /app-(dev|staging)/.test(line)).map((line) => line.replace(/^\s+\d+s\s+/, '').replace(/\s+/g, ' '));
    expect(progress).toEqual(expect.arrayContaining(['app-dev APPLYING', 'app-dev SUCCEEDED', 'app-staging SUCCEEDED']));
    const runId = executionNameFor(publishedBuild());
    expect(io.stdout).toContain(`run ${runId}: SUCCEEDED`);
    expect((await readRun(store, runId))?.status).toBe('SUCCEEDED');
  });

  it('--follow fails (exit 1) with the cause when the run fails', async () => {
    const dir = project();
    const { bucket, store } = await stagelineBucket();
    playDeploymentStage(store, 'FAILED');

    const { io, done } = deploy(dir, bucket, { follow: true });

    await expect(done).rejects.toMatchObject({ code: 'RUN_FAILED', message: expect.stringContaining('failed: apply exited 1') });
    expect(io.stdout).toContain('stopped at app-staging: apply exited 1');
  });

  it('--follow gives up with a hint when start-pipeline never creates the run', async () => {
    const dir = project();
    const { bucket } = await stagelineBucket();

    const { done } = deploy(dir, bucket, { follow: true });

    await expect(done).rejects.toMatchObject({ code: 'RUN_NOT_STARTED', hint: expect.stringContaining('start-pipeline') });
  });

  it('finds the state machine by name when STAGELINE_STATE_MACHINE_ARN is not set', async () => {
    const dir = project();
    const { bucket } = await stagelineBucket();
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [
      { name: 'other', stateMachineArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:other', type: 'STANDARD', creationDate: new Date() },
      { name: 'DeploymentStageStagelineABC', stateMachineArn: STATE_MACHINE, type: 'STANDARD', creationDate: new Date() },
    ] });

    const { io, done } = deploy(dir, bucket, {}, {});
    await done;

    expect(io.stdout[1]).toContain(`#/v2/executions/details/${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:`);
  });

  it("refuses a bucket that is not this organization's Stageline bucket, before uploading anything", async () => {
    const dir = project();
    const { bucket, store } = await stagelineBucket('globex');

    await expect(deploy(dir, bucket).done).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('"acme" but the bucket\'s organization is "globex"') });
    expect(await store.list('builds/')).toEqual([]);
    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('asks for a bucket when neither --bucket nor STAGELINE_BUCKET is given', async () => {
    const io = captureIo(project());

    await expect(deployToAwsCommand({ project: '.' }, io, { env: {} })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('STAGELINE_BUCKET') });
  });
});
