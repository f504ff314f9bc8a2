import 'aws-sdk-client-mock-vitest/extend';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler, type CodeBuildStateChangeEvent } from '../../../../functions/stack-job-watcher/handler.js';
import { stackJobKey } from '../../../../lib/adapters/aws/codebuild-stack-job-launcher.js';
import { SfnTaskCallbacks } from '../../../../lib/adapters/aws/sfn-task-callbacks.js';
import { runKey } from '../../../../lib/pipeline/workflow/records.js';
import { fixedClock } from '../../../../lib/ports/clock.js';
import { jobFixture, RUN_ID, TOKEN } from '../../pipeline/stack-job/harness.js';

// The stack-job-watcher Lambda: an EventBridge "CodeBuild Build State Change" of the runner
// project → SendTaskFailure when the build ended before the runner reported.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);

const PROJECT = 'StackJobsRunner6A1B2C3D-xyz';
const BUILD_ID = `${PROJECT}:8745a7a9-c340-456a-9166-edf953571bEX`;
const BUILD_ARN = `arn:aws:codebuild:eu-west-1:111111111111:build/${BUILD_ID}`;
const JOB_KEY = stackJobKey({ runId: RUN_ID, taskIndex: 0, overlay: 'dev' });
const LINE = (status: string) => `stack-job build ${BUILD_ID} ended ${status} before the runner reported`;

/** The event as CodeBuild sends it (CodeBuild user guide, "Build notifications input format reference"). */
function stateChange(status: string, variables: { name: string; value: string; type: string }[] = [{ name: 'STAGELINE_JOB_KEY', value: JOB_KEY, type: 'PLAINTEXT' }]): CodeBuildStateChangeEvent {
  return {
    version: '0',
    id: 'c030038d-8c4d-6141-9545-00ff7b7153EX',
    'detail-type': 'CodeBuild Build State Change',
    source: 'aws.codebuild',
    account: '111111111111',
    time: '2030-01-02T03:10:00Z',
    region: 'eu-west-1',
    resources: [BUILD_ARN],
    detail: {
      'build-status': status,
      'project-name': PROJECT,
      'build-id': BUILD_ARN,
      'additional-information': {
        environment: {
          image: 'aws/codebuild/standard:7.0',
          'privileged-mode': false,
          'compute-type': 'BUILD_GENERAL1_SMALL',
          type: 'LINUX_CONTAINER',
          'environment-variables': [
            { name: 'STAGELINE_BUCKET', value: 'stageline-bucket', type: 'PLAINTEXT' },
            { name: 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', value: 'true', type: 'PLAINTEXT' },
            ...variables,
          ],
        },
        'timeout-in-minutes': 60,
        'build-complete': true,
        initiator: 'stageline-launch-stack-job',
        phases: [{ 'phase-type': 'INSTALL', 'phase-status': 'FAILED' }],
      },
      'current-phase': 'COMPLETED',
      'current-phase-context': '[]',
      version: '1',
    },
  } as CodeBuildStateChangeEvent;
}

/** The handler as index.ts builds it, over a local store holding one run (task APPLYING) and its job. */
async function watcher() {
  const fixture = await jobFixture();
  await fixture.store.put(JOB_KEY, `${JSON.stringify(fixture.request)}\n`);
  const logs: string[] = [];
  const handler = makeHandler({
    store: fixture.store,
    callbacks: new SfnTaskCallbacks({ client: new SFNClient({ region: 'eu-west-1' }) }),
    clock: fixedClock('2030-01-02T03:10:00.000Z'),
    log: (line) => logs.push(line),
  });
  return { fixture, handler, logs };
}

beforeEach(() => {
  sfn.reset();
  s3.reset();
});

describe('stack-job-watcher handler', () => {
  it.each(['FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT'])('a build ending %s before the runner reported: task FAILED, one SendTaskFailure', async (status) => {
    sfn.on(SendTaskFailureCommand).resolves({});
    const { fixture, handler, logs } = await watcher();

    expect(await handler(stateChange(status))).toBe('failed');

    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: TOKEN, error: 'Stageline.StackJobFailed', cause: LINE(status) });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(sfn).not.toHaveReceivedCommand(SendTaskHeartbeatCommand);
    expect(await fixture.task()).toMatchObject({ status: 'FAILED', detail: LINE(status) });
    for (const line of logs) expect(line).not.toContain(TOKEN);
  });

  it('the runner already reported (TaskTimedOut / InvalidToken answer): closed, no throw', async () => {
    sfn.on(SendTaskFailureCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const { handler } = await watcher();

    await expect(handler(stateChange('FAILED'))).resolves.toBe('closed');
  });

  it('a SUCCEEDED build changes nothing and calls nothing', async () => {
    const { fixture, handler } = await watcher();

    expect(await handler(stateChange('SUCCEEDED'))).toBe('ignored');

    expect(sfn.calls()).toHaveLength(0);
    expect((await fixture.task()).status).toBe('APPLYING');
  });

  it('a build without STAGELINE_JOB_KEY (started by hand) is logged and ignored', async () => {
    const { handler, logs } = await watcher();

    expect(await handler(stateChange('FAILED', []))).toBe('ignored');

    expect(sfn.calls()).toHaveLength(0);
    expect(logs.join('\n')).toContain('has no STAGELINE_JOB_KEY');
  });

  it('reads the key only from a PLAINTEXT variable', async () => {
    const { handler } = await watcher();

    expect(await handler(stateChange('FAILED', [{ name: 'STAGELINE_JOB_KEY', value: JOB_KEY, type: 'PARAMETER_STORE' }]))).toBe('ignored');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('an event without detail does not throw', async () => {
    const { handler } = await watcher();

    await expect(handler({})).resolves.toBe('ignored');
  });
});

describe('stack-job-watcher entry (functions/stack-job-watcher/index.ts)', () => {
  const body = (text: string) => ({ transformToString: async () => text }) as never;

  beforeEach(() => {
    vi.resetModules();
    vi.stubEnv('AWS_REGION', 'eu-west-1');
  });
  afterEach(() => vi.unstubAllEnvs());

  it('fails its cold start naming a missing BUCKET_NAME', async () => {
    vi.stubEnv('BUCKET_NAME', '');

    await expect(import('../../../../functions/stack-job-watcher/index.js')).rejects.toThrow('environment variable BUCKET_NAME is not set');
  });

  it('reads the job from BUCKET_NAME, marks the task with If-Match, and sends SendTaskFailure', async () => {
    vi.stubEnv('BUCKET_NAME', 'bkt');
    const { fixture } = await watcher();
    const run = (await fixture.store.get(runKey(RUN_ID)))!.body;
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'no such key', $metadata: { httpStatusCode: 404 } }));
    s3.on(GetObjectCommand, { Bucket: 'bkt', Key: JOB_KEY }).resolves({ Body: body(JSON.stringify(fixture.request)), ETag: '"j1"' });
    s3.on(GetObjectCommand, { Bucket: 'bkt', Key: runKey(RUN_ID) }).resolves({ Body: body(run), ETag: '"r1"' });
    s3.on(PutObjectCommand).resolves({ ETag: '"r2"' });
    sfn.on(SendTaskFailureCommand).resolves({});
    // The Powertools Logger writes JSON lines to stdout (not through console.log).
    const logged = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = (await import('../../../../functions/stack-job-watcher/index.js')) as { handler: (event: CodeBuildStateChangeEvent) => Promise<string> };

    expect(await handler(stateChange('FAULT'))).toBe('failed');

    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'bkt', Key: runKey(RUN_ID), IfMatch: '"r1"' });
    const written = s3.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key === runKey(RUN_ID))!;
    expect(JSON.parse(String(written.args[0].input.Body)).tasks[0]).toMatchObject({ status: 'FAILED', detail: LINE('FAULT') });
    // Only runs/ is read or written (the function's grant).
    for (const call of [...s3.commandCalls(GetObjectCommand), ...s3.commandCalls(PutObjectCommand)]) expect(call.args[0].input.Key).toMatch(/^runs\//);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: TOKEN, error: 'Stageline.StackJobFailed', cause: LINE('FAULT') });
    // Its decisions go to the function's log; never the task token.
    const lines = logged.mock.calls.map((call) => String(call[0]));
    expect(lines.map((line) => JSON.parse(line) as { function?: string })).toContainEqual(expect.objectContaining({ function: 'stack-job-watcher', runId: RUN_ID }));
    expect(lines.join('\n')).toContain('marked FAILED');
    for (const line of lines) expect(line).not.toContain(TOKEN);
    logged.mockRestore();
  });
});
