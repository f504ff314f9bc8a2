import 'aws-sdk-client-mock-vitest/extend';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { functionObservability, stepKeys } from '../../../../lib/adapters/aws/observability.js';
import { FigureRecordingStore } from '../../../../lib/pipeline/workflow/run-figures.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAA-the-task-token-SECRET';
const CONTEXT = { functionName: 'Stageline-LaunchStackJob-abc', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:x', memoryLimitInMB: '512', awsRequestId: 'req-1' };

/** Every line written to stdout or stderr while `run` runs (the Logger and Metrics write there, not through console.log). */
async function captured(run: () => Promise<unknown>): Promise<{ lines: string[]; error?: unknown }> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  const write = { mockRestore: () => (out.mockRestore(), err.mockRestore()) };
  try {
    await run();
    return { lines };
  } catch (error) {
    return { lines, error };
  } finally {
    write.mockRestore();
  }
}

const json = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

beforeEach(() => {
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('POWERTOOLS_DEV', '');
});
afterEach(() => vi.unstubAllEnvs());

describe('functionObservability (Powertools Logger and Metrics)', () => {
  it('logs structured JSON with the function, the run, its execution and the environment; never the event', async () => {
    vi.stubEnv('STAGELINE_EXECUTION_ARN_PREFIX', 'arn:aws:states:eu-west-1:111111111111:execution:sm:');
    const observability = functionObservability('launch-stack-job');
    const handler = observability.handler(async (_event: unknown) => ({ jobId: 'p:1' }), { keys: stepKeys, outcome: (result) => ({ stackJobId: result.jobId }) });
    const { lines } = await captured(() => handler({ runId: 'web-1-2', task: { env: 'app-dev' }, taskToken: TOKEN }, CONTEXT));
    const [done] = json(lines);
    expect(done).toMatchObject({
      level: 'INFO',
      service: 'stageline',
      function: 'launch-stack-job',
      runId: 'web-1-2',
      environment: 'app-dev',
      execution: 'arn:aws:states:eu-west-1:111111111111:execution:sm:web-1-2',
      function_name: 'Stageline-LaunchStackJob-abc',
      function_request_id: 'req-1',
      outcome: { stackJobId: 'p:1' },
    });
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('takes its level from POWERTOOLS_LOG_LEVEL', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'WARN');
    const observability = functionObservability('record-success');
    const handler = observability.handler(async () => 'ok');
    expect((await captured(() => handler({}))).lines).toEqual([]);
    const failing = observability.handler(async () => Promise.reject(new Error('boom\nsecond line')));
    const { lines, error } = await captured(() => failing({}));
    expect(error).toBeInstanceOf(Error);
    expect(json(lines)).toMatchObject([{ level: 'ERROR', error: { name: 'Error', message: 'boom' } }]);
  });

  it('redacts token-like keys wherever a line carries them', async () => {
    const observability = functionObservability('approval');
    const { lines } = await captured(async () => observability.logger.info('x', { nested: { taskToken: TOKEN, sig: 'k1.abc' } }));
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain('k1.abc');
  });

  it('publishes the figures noted during the invocation as EMF: namespace Stageline, dimensions service and environment', async () => {
    const observability = functionObservability('record-success');
    const objects = new Map<string, { body: string; etag: string }>();
    const run = { schemaVersion: 1, runId: 'web-1-2', build: { service: 'web' }, status: 'RUNNING', createdAt: '2026-01-01T10:00:00.000Z', updatedAt: 'x', tasks: [
      { index: 0, env: 'app-dev', gated: false, status: 'SUCCEEDED', stackJobId: 'p:1', startedAt: '2026-01-01T10:00:10.000Z', finishedAt: '2026-01-01T10:01:10.000Z' },
    ], skipped: [], warnings: [] };
    objects.set('runs/web-1-2/run.json', { body: JSON.stringify(run), etag: 'e1' });
    const store = observability.observe({
      get: async (key) => objects.get(key),
      put: async (key, body) => (objects.set(key, { body, etag: 'e2' }), { etag: 'e2' }),
      list: async () => [],
      delete: async () => undefined,
    });
    expect(store).toBeInstanceOf(FigureRecordingStore);
    const handler = observability.handler(async () => {
      const read = (await store.get('runs/web-1-2/run.json'))!;
      await store.put('runs/web-1-2/run.json', JSON.stringify({ ...run, status: 'SUCCEEDED', finishedAt: '2026-01-01T10:02:00.000Z' }), { ifMatch: read.etag });
    });
    const { lines } = await captured(() => handler({ runId: 'web-1-2' }));
    const emf = json(lines).filter((line) => '_aws' in line);
    expect(emf).toHaveLength(2);
    const [runLevel, environmentLevel] = emf as [Record<string, any>, Record<string, any>];
    expect(runLevel._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Stageline', Dimensions: [['service']] });
    expect(runLevel).toMatchObject({ service: 'web', RunsSucceeded: 1, RunDuration: 120 });
    expect(environmentLevel._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Stageline', Dimensions: [['service', 'environment']] });
    expect(environmentLevel).toMatchObject({ service: 'web', environment: 'app-dev', EnvironmentDeployDuration: 60, StackJobDuration: 60 });
  });
});

describe('the task token is never logged', () => {
  const s3 = mockClient(S3Client);
  const codebuild = mockClient(CodeBuildClient);
  beforeEach(() => {
    vi.resetModules();
    s3.reset();
    codebuild.reset();
  });

  it('launch-stack-job logs its run, environment and build; the token goes to the job file only', async () => {
    vi.stubEnv('BUCKET_NAME', 'bkt');
    vi.stubEnv('STACK_JOB_PROJECT', 'runner');
    const run = {
      schemaVersion: 1,
      runId: 'web-1-2',
      build: { org: 'acme', service: 'web', commitSha: 'abcdef0', branch: 'main', image: 'web:1', triggeredBy: 'dev@acme.io' },
      status: 'RUNNING',
      createdAt: '2030-01-01T00:00:00.000Z',
      updatedAt: '2030-01-01T00:00:00.000Z',
      tasks: [{ index: 0, overlay: 'dev', env: 'app-dev', kind: 'K', name: 'n', digest: 'a'.repeat(64), gated: false, status: 'PENDING', references: { secrets: [], variables: [] } }],
      skipped: [],
      warnings: [],
    };
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    s3.on(GetObjectCommand, { Key: 'runs/web-1-2/run.json' }).resolves({ Body: { transformToString: async () => JSON.stringify(run) } as never, ETag: '"e1"' });
    s3.on(PutObjectCommand).resolves({ ETag: '"e2"' });
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'runner:build-1' } });
    const { handler } = (await import('../../../../functions/launch-stack-job/index.js')) as unknown as { handler: (event: unknown, context?: unknown) => Promise<unknown> };
    const event = { runId: 'web-1-2', task: { index: 0, overlay: 'dev', env: 'app-dev', kind: 'K', name: 'n', digest: 'a'.repeat(64), manifestKey: 'runs/web-1-2/manifests/a.yaml', gated: false, stackJobTimeoutSeconds: 60 }, taskToken: TOKEN };

    const { lines, error } = await captured(() => handler(event, CONTEXT));

    expect(error).toBeUndefined();
    expect(json(lines)).toContainEqual(expect.objectContaining({ function: 'launch-stack-job', runId: 'web-1-2', environment: 'app-dev', outcome: { stackJobId: 'runner:build-1' } }));
    expect(lines.join('\n')).not.toContain(TOKEN);
    const job = s3.commandCalls(PutObjectCommand).find((call) => String(call.args[0].input.Key).includes('/jobs/'))!;
    expect(String(job.args[0].input.Body)).toContain(TOKEN);
  });

  it('a failing step logs its error, never the token it was given', async () => {
    vi.stubEnv('BUCKET_NAME', 'bkt');
    vi.stubEnv('STACK_JOB_PROJECT', 'runner');
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const { handler } = (await import('../../../../functions/launch-stack-job/index.js')) as unknown as { handler: (event: unknown, context?: unknown) => Promise<unknown> };

    const { lines, error } = await captured(() => handler({ runId: 'web-1-2', task: { index: 0, env: 'app-dev' }, taskToken: TOKEN }, CONTEXT));

    expect(error).toBeDefined();
    expect(json(lines)).toContainEqual(expect.objectContaining({ level: 'ERROR', runId: 'web-1-2', environment: 'app-dev' }));
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('request-approval logs its run, environment and approval id; never the token nor a signed link', async () => {
    const secrets = mockClient(SecretsManagerClient);
    const sns = mockClient(SNSClient);
    vi.stubEnv('BUCKET_NAME', 'bkt');
    vi.stubEnv('APPROVAL_URL', 'https://approve.example');
    vi.stubEnv('APPROVAL_KEY_SECRET_ARN', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:k');
    vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:eu-west-1:111111111111:t');
    const run = {
      schemaVersion: 1, runId: 'web-1-2', status: 'RUNNING', createdAt: 'x', updatedAt: 'x', skipped: [], warnings: [],
      build: { org: 'acme', service: 'web', commitSha: 'abcdef1', branch: 'main', image: 'img', triggeredBy: 'dev@acme.io' },
      tasks: [{ index: 0, overlay: 'prod', env: 'app-prod', gated: true, status: 'PENDING', approvers: ['ops@acme.io'], minApprovals: 1, references: { secrets: [], variables: [] } }],
    };
    let stored = JSON.stringify(run);
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    s3.on(GetObjectCommand, { Key: 'runs/web-1-2/run.json' }).callsFake(async () => ({ Body: { transformToString: async () => stored } as never, ETag: '"e1"' }));
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: string }) => {
      if (input.Key === 'runs/web-1-2/run.json') stored = String(input.Body);
      return { ETag: '"e1"' };
    });
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ current: 'k1', keys: { k1: 'a-signing-key-of-enough-length-0123456789' } }) });
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    const { handler } = (await import('../../../../functions/request-approval/index.js')) as unknown as { handler: (event: unknown, context?: unknown) => Promise<unknown> };
    const event = { runId: 'web-1-2', task: { index: 0, overlay: 'prod', env: 'app-prod', kind: 'K', name: 'n', digest: 'a'.repeat(64), manifestKey: 'runs/web-1-2/manifests/a.yaml', gated: true, approvalTimeoutSeconds: 3600, stackJobTimeoutSeconds: 60 }, taskToken: TOKEN };

    const { lines, error } = await captured(() => handler(event, CONTEXT));

    expect(error).toBeUndefined();
    expect(json(lines)).toContainEqual(expect.objectContaining({ function: 'request-approval', runId: 'web-1-2', environment: 'app-prod', outcome: { approvalId: expect.any(String) } }));
    const text = lines.join('\n');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('sig=');
    // The link went to the approver, and the token to the gate record only.
    expect(JSON.stringify(sns.commandCalls(PublishCommand)[0]!.args[0].input)).toContain('sig=');
    const gate = s3.commandCalls(PutObjectCommand).find((call) => String(call.args[0].input.Key).startsWith('approvals/'))!;
    expect(String(gate.args[0].input.Body)).toContain(TOKEN);
  });
});
