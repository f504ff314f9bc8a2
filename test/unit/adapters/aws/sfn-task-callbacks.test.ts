import 'aws-sdk-client-mock-vitest/extend';
import { InvalidToken, SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { latestTokenCallbacks } from '../../../../lib/adapters/aws/runner-wiring.js';
import { SfnTaskCallbacks } from '../../../../lib/adapters/aws/sfn-task-callbacks.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const sfn = mockClient(SFNClient);
const callbacks = () => new SfnTaskCallbacks({ client: new SFNClient({ region: 'eu-west-1' }) });

beforeEach(() => sfn.reset());

describe('SfnTaskCallbacks', () => {
  it('sends SendTaskSuccess with the output as JSON', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});

    expect(await callbacks().succeed('token-1', { approvedBy: 'ops@acme.io' })).toBe('delivered');
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1', output: '{"approvedBy":"ops@acme.io"}' });
  });

  it('sends SendTaskFailure with the error code and cause', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});

    expect(await callbacks().fail('token-1', 'Stageline.Rejected', 'rejected by ops@acme.io: not today')).toBe('delivered');
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'token-1', error: 'Stageline.Rejected', cause: 'rejected by ops@acme.io: not today' });
  });

  it('sends SendTaskHeartbeat', async () => {
    sfn.on(SendTaskHeartbeatCommand).resolves({});

    expect(await callbacks().heartbeat('token-1')).toBe('delivered');
    expect(sfn).toHaveReceivedCommandWith(SendTaskHeartbeatCommand, { taskToken: 'token-1' });
  });

  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['InvalidToken', () => new InvalidToken({ message: 'Invalid Token', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
  ])('treats %s as "already decided or expired": closed, never a crash', async (_name, error) => {
    sfn.on(SendTaskSuccessCommand).rejects(error());
    sfn.on(SendTaskFailureCommand).rejects(error());
    sfn.on(SendTaskHeartbeatCommand).rejects(error());

    expect(await callbacks().succeed('late', {})).toBe('closed');
    expect(await callbacks().fail('late', 'Stageline.StackJobFailed', 'x')).toBe('closed');
    expect(await callbacks().heartbeat('late')).toBe('closed');
  });

  it('passes other failures on (throttling is not "closed")', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(callbacks().succeed('token-1', {})).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it("keeps the error and cause within Step Functions' limits", async () => {
    sfn.on(SendTaskFailureCommand).resolves({});

    await callbacks().fail('token-1', 'E'.repeat(300), 'c'.repeat(40_000));

    const input = sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(input.error).toHaveLength(256);
    expect(input.cause).toHaveLength(32_768);
  });
});

describe('latestTokenCallbacks (the runner in CodeBuild)', () => {
  const digest = 'a'.repeat(64);
  const job = { runId: 'r1', org: 'acme', service: 'svc', taskIndex: 0, overlay: 'dev', env: 'app-dev', kind: 'K', name: 'svc', manifestKey: `runs/r1/manifests/${digest}.yaml`, digest, taskToken: 'token-first' };
  const KEY = 'runs/r1/jobs/0-dev.json';
  function storeWith(body: string | undefined, fail = false) {
    return {
      get: async () => {
        if (fail) throw new Error('S3 is down');
        return body === undefined ? undefined : { body, etag: '1' };
      },
      put: async () => ({ etag: '1' }),
      list: async () => [],
      delete: async () => undefined,
    };
  }

  it('sends each callback with the job file’s current token, read again every time', async () => {
    sfn.on(SendTaskHeartbeatCommand).resolves({});
    sfn.on(SendTaskSuccessCommand).resolves({});
    let body = JSON.stringify(job);
    const store = { ...storeWith(undefined), get: async () => ({ body, etag: '1' }) };
    const wrapped = latestTokenCallbacks(callbacks(), store, job, KEY);

    await wrapped.heartbeat('token-first');
    body = JSON.stringify({ ...job, taskToken: 'token-retry' });
    await wrapped.succeed('token-first', { summary: 'done' });

    expect(sfn.commandCalls(SendTaskHeartbeatCommand)[0]!.args[0].input.taskToken).toBe('token-first');
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: 'token-retry' });
  });

  it('keeps the token it was given when the file is unreadable, missing, not a job, or another job', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    const stores = [
      storeWith(undefined, true),
      storeWith(undefined),
      storeWith('not json'),
      storeWith(JSON.stringify({ ...job, taskIndex: 1, taskToken: 'token-other-task' })),
      storeWith(JSON.stringify({ ...job, digest: 'b'.repeat(64), taskToken: 'token-other-manifest' })),
    ];
    for (const store of stores) await latestTokenCallbacks(callbacks(), store, job, KEY).fail('token-first', 'Stageline.StackJobFailed', 'x');

    expect(sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input.taskToken)).toEqual(Array(5).fill('token-first'));
  });
});
