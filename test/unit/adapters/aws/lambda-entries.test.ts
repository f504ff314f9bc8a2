import 'aws-sdk-client-mock-vitest/extend';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The Lambda entries: each builds its adapters from environment variables at module scope.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const s3 = mockClient(S3Client);

const ENV: Record<string, Record<string, string>> = {
  'start-pipeline': { BUCKET_NAME: 'bkt', STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111111111111:stateMachine:sm' },
  'resolve-manifests': { BUCKET_NAME: 'bkt' },
  'create-deployment-tasks': { BUCKET_NAME: 'bkt' },
  'request-approval': { BUCKET_NAME: 'bkt', APPROVAL_URL: 'https://x.lambda-url.eu-west-1.on.aws', APPROVAL_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:k', TOPIC_ARN: 'arn:aws:sns:eu-west-1:1:t' },
  'launch-stack-job': { BUCKET_NAME: 'bkt', STACK_JOB_PROJECT: 'stageline-runner' },
  'cancel-remaining': { BUCKET_NAME: 'bkt' },
  'record-success': { BUCKET_NAME: 'bkt' },
  approval: { BUCKET_NAME: 'bkt', APPROVAL_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:k' },
  'stack-job-watcher': { BUCKET_NAME: 'bkt' },
  'reconcile-execution': { BUCKET_NAME: 'bkt', STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111111111111:stateMachine:sm' },
};

/** The part of a GetObject body stream the store reads. */
/** Static imports (vite resolves `.js` to the `.ts` source only for literal paths). */
const IMPORT: Record<string, () => Promise<{ handler: unknown }>> = {
  'start-pipeline': () => import('../../../../functions/start-pipeline/index.js'),
  'resolve-manifests': () => import('../../../../functions/resolve-manifests/index.js'),
  'create-deployment-tasks': () => import('../../../../functions/create-deployment-tasks/index.js'),
  'request-approval': () => import('../../../../functions/request-approval/index.js'),
  'launch-stack-job': () => import('../../../../functions/launch-stack-job/index.js'),
  'cancel-remaining': () => import('../../../../functions/cancel-remaining/index.js'),
  'record-success': () => import('../../../../functions/record-success/index.js'),
  approval: () => import('../../../../functions/approval/index.js'),
  'stack-job-watcher': () => import('../../../../functions/stack-job-watcher/index.js'),
  'reconcile-execution': () => import('../../../../functions/reconcile-execution/index.js'),
};

function body(text: string) {
  return { transformToString: async () => text } as never;
}

beforeEach(() => {
  vi.resetModules();
  s3.reset();
  vi.stubEnv('AWS_REGION', 'eu-west-1');
});
afterEach(() => vi.unstubAllEnvs());

describe('Lambda entries (functions/*/index.ts)', () => {
  it.each(Object.entries(ENV))('%s builds its handler from its environment variables', async (name, variables) => {
    for (const [key, value] of Object.entries(variables)) vi.stubEnv(key, value);

    const entry = await IMPORT[name]!();

    expect(typeof entry.handler).toBe('function');
  });

  it.each(Object.entries(ENV))('%s fails its cold start naming a missing variable', async (name, variables) => {
    const [missing, ...rest] = Object.keys(variables).reverse();
    for (const key of rest) vi.stubEnv(key, variables[key]!);
    vi.stubEnv(missing!, '');

    await expect(IMPORT[name]!()).rejects.toThrow(`environment variable ${missing} is not set`);
  });

  it('record-success writes run.json in BUCKET_NAME with If-Match', async () => {
    for (const [key, value] of Object.entries(ENV['record-success']!)) vi.stubEnv(key, value);
    const build = { org: 'acme', service: 'orders', commitSha: 'a'.repeat(40), branch: 'main', image: 'registry.example/orders:1', triggeredBy: 'arn:aws:iam::111111111111:user/ci' };
    const run = { schemaVersion: 1, runId: 'r1', build, status: 'RUNNING', createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z', tasks: [], skipped: [], warnings: [] };
    s3.on(GetObjectCommand, { Bucket: 'bkt', Key: 'runs/r1/run.json' }).callsFake(async () => ({ Body: body(JSON.stringify(run)), ETag: '"e1"' }));
    s3.on(PutObjectCommand).resolves({ ETag: '"e2"' });
    const { handler } = (await IMPORT['record-success']!()) as { handler: (event: { runId: string }) => Promise<{ status: string }> };

    expect(await handler({ runId: 'r1' })).toEqual({ status: 'SUCCEEDED' });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'bkt', Key: 'runs/r1/run.json', IfMatch: '"e1"' });
  });
});
