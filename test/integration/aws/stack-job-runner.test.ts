import 'aws-sdk-client-mock-vitest/extend';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsStackJobDeps, readJobFromBucket } from '../../../lib/adapters/aws/runner-wiring.js';
import { stackJobKey } from '../../../lib/adapters/aws/codebuild-stack-job-launcher.js';
import { S3ArtifactStore } from '../../../lib/adapters/aws/s3-artifact-store.js';
import { executeStackJob } from '../../../lib/pipeline/stack-job/run-stack-job.js';
import { readRun } from '../../../lib/pipeline/workflow/records.js';
import { fixedClock } from '../../../lib/ports/clock.js';
import { CANARY, ENV, jobFixture, NOW, ORG, RUN_ID, SERVICE, TOKEN } from '../../unit/pipeline/stack-job/harness.js';
import { startMotoS3, type MotoS3 } from './moto-s3.js';

// The CodeBuild runner's wiring: the store over real HTTP (S3 in moto), Step Functions, Secrets
// Manager, SSM and STS mocked at the client boundary; the domain's executeStackJob unchanged.
const sfn = mockClient(SFNClient);
const secretsManager = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const sts = mockClient(STSClient);
const ROLE = 'arn:aws:iam::222222222222:role/stageline-deployer';
let s3: MotoS3;
let buckets = 0;

beforeAll(async () => {
  s3 = await startMotoS3();
});
afterAll(async () => {
  await s3?.close();
});
beforeEach(() => {
  for (const mock of [sfn, secretsManager, ssm, sts]) mock.reset();
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  sfn.on(SendTaskHeartbeatCommand).resolves({});
  secretsManager.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
  secretsManager.on(GetSecretValueCommand, { SecretId: `stageline/${ORG}/${ENV}/database` }).resolves({ SecretString: JSON.stringify({ password: CANARY }) });
  ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
  ssm.on(GetParameterCommand, { Name: `/stageline/${ORG}/variables/app/log-level` }).resolves({ Parameter: { Value: 'info' } });
  sts.on(AssumeRoleCommand).resolves({
    Credentials: { AccessKeyId: 'ASIAENVROLE', SecretAccessKey: 'env-secret', SessionToken: 'env-session', Expiration: new Date('2030-01-02T04:04:05Z') },
  });
});

/** A bucket holding the organization config and a run waiting on its stack job (copied from the local fixture). */
async function bucketWithJob() {
  const job = await jobFixture();
  const bucket = `stageline-runner-${++buckets}`;
  await s3.createBucket(bucket);
  const store = new S3ArtifactStore({ bucket, client: s3.client });
  for (const [key, body] of Object.entries(await job.objects())) await store.put(key, body);
  await store.put('config/organization.yaml', `apiVersion: stageline.dev/v1\nkind: Organization\nmetadata: { name: ${ORG} }\nspec:\n  environments: [{ name: ${ENV} }]\n`);
  return { job, bucket, store };
}

async function runJob(bucket: string, request: Parameters<typeof awsStackJobDeps>[0], env: NodeJS.ProcessEnv = {}) {
  const logs: string[] = [];
  const deps = await awsStackJobDeps(request, { STAGELINE_BUCKET: bucket, AWS_REGION: 'eu-west-1', ...env }, { sts: new STSClient({ region: 'eu-west-1' }), s3Client: s3.client });
  const report = await executeStackJob({ ...deps, clock: fixedClock(NOW), log: (line) => logs.push(line) }, request);
  return { report, logs };
}

describe('stack-job runner in AWS (runner-wiring)', () => {
  it('reads its job from the bucket key the launcher wrote (the token never in the build environment)', async () => {
    const { job, bucket, store } = await bucketWithJob();
    const key = stackJobKey(job.request);
    await store.put(key, JSON.stringify(job.request));
    const text = await readJobFromBucket({ STAGELINE_BUCKET: bucket, STAGELINE_JOB_KEY: key }, s3.client);
    expect(JSON.parse(text!)).toEqual(job.request);
    await expect(readJobFromBucket({ STAGELINE_BUCKET: bucket, STAGELINE_JOB_KEY: 'runs/x/jobs/0-a.json' }, s3.client)).rejects.toThrow('not in the bucket');
    expect(await readJobFromBucket({ STAGELINE_BUCKET: bucket }, s3.client)).toBeUndefined();
  });

  it("runs a job: reads the environment's secret and the org's variable, records deployed/ in S3, reports SendTaskSuccess", async () => {
    const { job, bucket, store } = await bucketWithJob();

    const { report, logs } = await runJob(bucket, job.request);

    expect(report.outcome).toBe('succeeded');
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: `stageline/${ORG}/${ENV}/database` });
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: `/stageline/${ORG}/${ENV}/variables/app/log-level` });
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: `/stageline/${ORG}/variables/app/log-level` });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN });
    expect((await store.get(`deployed/${ORG}/${ENV}/${SERVICE}.yaml`))?.body).toBe(job.storedManifest);
    expect((await readRun(store, RUN_ID))?.tasks[0]?.status).toBe('SUCCEEDED');
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    expect(JSON.stringify([logs, sfn.calls().map((call) => call.args[0].input)])).not.toContain(CANARY);
  });

  // Regression: secrets and variables live in the Stageline account (docs/aws.md §4), where only
  // the runner role may read stageline/<org>/*; reading them with the environment's role looked
  // them up in the environment's account.
  it("reads secrets and variables with the runner's own role; the environment's role is for the provisioner only", async () => {
    const { job, bucket } = await bucketWithJob();
    const request = { ...job.request, awsRoleArn: ROLE };

    const { report } = await runJob(bucket, request);

    expect(report.outcome).toBe('succeeded');
    expect(sts).toHaveReceivedCommandExactlyOnceWith(AssumeRoleCommand, { RoleArn: ROLE, RoleSessionName: `stageline-${SERVICE}-${ENV}`, DurationSeconds: 3600 });
    const secretsClient = secretsManager.commandCalls(GetSecretValueCommand)[0]!.thisValue as SecretsManagerClient;
    expect(await secretsClient.config.credentials().catch(() => ({}))).not.toMatchObject({ accessKeyId: 'ASIAENVROLE' });
    const ssmClient = ssm.commandCalls(GetParameterCommand)[0]!.thisValue as SSMClient;
    expect(await ssmClient.config.credentials().catch(() => ({}))).not.toMatchObject({ accessKeyId: 'ASIAENVROLE' });
    const sfnClient = sfn.commandCalls(SendTaskSuccessCommand)[0]!.thisValue as SFNClient;
    expect(await sfnClient.config.credentials().catch(() => ({}))).not.toMatchObject({ accessKeyId: 'ASIAENVROLE' });
  });

  it('a role that cannot be assumed fails the job through the workflow, before any change', async () => {
    const { job, bucket, store } = await bucketWithJob();
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' }));

    const { report } = await runJob(bucket, { ...job.request, awsRoleArn: ROLE });

    expect(report.outcome).toBe('failed');
    expect(report.detail).toContain(`cannot assume ${ROLE} for ${ENV}`);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: TOKEN, error: 'Stageline.StackJobFailed' });
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
    expect(await store.get(`deployed/${ORG}/${ENV}/${SERVICE}.yaml`)).toBeUndefined();
  });

  it('reports with the newest task token of its job file: a retried launch step rewrote it after this build read it', async () => {
    // Prepare: the build read the job with the first attempt's token; the retried launch (new task
    // token, same build through the idempotency token) rewrote the file since.
    const { job, bucket, store } = await bucketWithJob();
    const key = stackJobKey(job.request);
    await store.put(key, `${JSON.stringify({ ...job.request, taskToken: 'token-of-the-retry' })}\n`);

    // Act
    const { report } = await runJob(bucket, job.request, { STAGELINE_JOB_KEY: key });

    // Assess
    expect(report.outcome).toBe('succeeded');
    const tokens = sfn.calls().map((call) => (call.args[0].input as { taskToken: string }).taskToken);
    expect(sfn).toHaveReceivedCommandWith(SendTaskHeartbeatCommand, { taskToken: 'token-of-the-retry' });
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: 'token-of-the-retry' });
    expect(tokens).not.toContain(TOKEN);
  });

  it('the failure report also uses the newest token', async () => {
    const { job, bucket, store } = await bucketWithJob();
    const key = stackJobKey(job.request);
    await store.put(key, `${JSON.stringify({ ...job.request, taskToken: 'token-of-the-retry' })}\n`);
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('User is not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' }));

    const { report } = await runJob(bucket, { ...job.request, awsRoleArn: ROLE }, { STAGELINE_JOB_KEY: key });

    expect(report.outcome).toBe('failed');
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, { taskToken: 'token-of-the-retry', error: 'Stageline.StackJobFailed' });
  });

  it('falls back to the token it started with when the job file cannot be read', async () => {
    const { job, bucket } = await bucketWithJob();

    const { report } = await runJob(bucket, job.request, { STAGELINE_JOB_KEY: 'runs/run-1/jobs/0-gone.json' });

    expect(report.outcome).toBe('succeeded');
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: TOKEN });
  });
});
