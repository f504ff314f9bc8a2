import { spawnSync } from 'node:child_process';
import 'aws-sdk-client-mock-vitest/extend';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { chmod, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsStackJobDeps } from '../../../lib/adapters/aws/runner-wiring.js';
import { S3ArtifactStore } from '../../../lib/adapters/aws/s3-artifact-store.js';
import { environmentLockKey, outputsKey } from '../../../lib/pipeline/stack-job/keys.js';
import { executeStackJob } from '../../../lib/pipeline/stack-job/run-stack-job.js';
import { createRun, readRun, serialize } from '../../../lib/pipeline/workflow/records.js';
import { fixedClock } from '../../../lib/ports/clock.js';
import type { StackJobRequest } from '../../../lib/ports/stack-job-launcher.js';
import { startMoto, type MotoServer } from '../../support/moto-server.js';
import { ENV, jobFixture, NOW, ORG, RUN_ID, SERVICE, tempDir, TOKEN } from '../../unit/pipeline/stack-job/harness.js';

// The CodeBuild runner's wiring with an environment role (credentials.awsRoleArn): the bucket is a
// moto S3 on loopback; Step Functions and STS are mocked at the client boundary so that the order
// of every call can be seen, and so that sessions can be made short enough to expire in a test.

const REPO = resolve(import.meta.dirname, '../../..');
const ROLE = 'arn:aws:iam::222222222222:role/stageline-deployer';
const LOCK = environmentLockKey(ORG, ENV, SERVICE);
const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
let moto: MotoServer;
let s3: S3Client;
let buckets = 0;
let events: string[] = [];
/** How long the sessions the fake STS hands out last. */
let sessionMs = 3_600_000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(10)) if (Date.now() > deadline) throw new Error('condition not met in time');
}

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client(moto.adminClientConfig());
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      events.push(`${context.commandName} ${(args.input as { Key?: string }).Key ?? ''}`.trim());
      return next(args);
    },
    { step: 'initialize', name: 'recordBucketCalls' },
  );
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});
beforeEach(() => {
  events = [];
  sessionMs = 3_600_000;
  sfn.reset();
  sts.reset();
  sfn.on(SendTaskHeartbeatCommand).callsFake(() => (events.push('SendTaskHeartbeatCommand'), {}));
  sfn.on(SendTaskSuccessCommand).callsFake(() => (events.push('SendTaskSuccessCommand'), {}));
  sfn.on(SendTaskFailureCommand).callsFake(() => (events.push('SendTaskFailureCommand'), {}));
  let sessions = 0;
  sts.on(AssumeRoleCommand).callsFake(() => {
    events.push('AssumeRoleCommand');
    sessions++;
    return {
      Credentials: { AccessKeyId: `ASIAENV${sessions}`, SecretAccessKey: `env-secret-${sessions}`, SessionToken: `env-session-${sessions}`, Expiration: new Date(Date.now() + sessionMs) },
    };
  });
});

const MANIFEST = { apiVersion: 'kubernetes.openmcf.org/v1', kind: 'KubernetesDeployment', metadata: { name: 'hello', env: ENV }, spec: { container: { app: { image: 'registry.example/hello:1111111' } } } };

/** A bucket with the organization config and a run whose task 0 waits on its stack job. */
async function bucketWithJob(apply?: string) {
  const job = await jobFixture({ manifest: MANIFEST });
  const bucket = `stageline-role-${++buckets}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const store = new S3ArtifactStore({ bucket, client: s3 });
  for (const [key, body] of Object.entries(await job.objects())) await store.put(key, body);
  const provisioners = apply ? `\n  stackJobs:\n    provisioners:\n      KubernetesDeployment: { apply: ${JSON.stringify(apply)} }` : '';
  await store.put('config/organization.yaml', `apiVersion: stageline.dev/v1\nkind: Organization\nmetadata: { name: ${ORG} }\nspec:\n  environments: [{ name: ${ENV}, credentials: { awsRoleArn: "${ROLE}" } }]${provisioners}\n`);
  events = [];
  return { request: { ...job.request, awsRoleArn: ROLE } satisfies StackJobRequest, bucket, store };
}

/** The runner's environment in CodeBuild: its own credentials (here static keys and a container URI the commands must never see). */
async function runnerEnvironment(bucket: string): Promise<NodeJS.ProcessEnv> {
  return {
    PATH: process.env.PATH,
    HOME: await tempDir('stageline-runner-home-'),
    STAGELINE_BUCKET: bucket,
    AWS_REGION: moto.region,
    AWS_ACCESS_KEY_ID: 'AKIARUNNEROWNKEY',
    AWS_SECRET_ACCESS_KEY: 'runner-own-secret',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/runner-own',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

async function runJob(request: StackJobRequest, env: NodeJS.ProcessEnv, logs: string[] = []) {
  const deps = await awsStackJobDeps(request, env, { sts: new STSClient({ region: moto.region }), s3Client: s3 });
  return executeStackJob({ ...deps, clock: fixedClock(NOW), log: (line) => logs.push(line), leasePollMs: 20 }, request);
}

describe('stack-job runner in AWS: heartbeat first, environment role after the lease', () => {
  it('its first call is a heartbeat: before the manifest download, the organization config and the role', async () => {
    const { request, bucket } = await bucketWithJob();

    const report = await runJob(request, await runnerEnvironment(bucket));

    expect(report.outcome).toBe('succeeded');
    expect(events[0]).toBe('SendTaskHeartbeatCommand');
    expect(events[1]).toBe(`GetObjectCommand ${request.manifestKey}`);
    const lease = events.indexOf(`PutObjectCommand ${LOCK}`);
    expect(lease).toBeGreaterThan(1);
    expect(events.indexOf('GetObjectCommand config/organization.yaml')).toBeGreaterThan(lease);
    expect(events.indexOf('AssumeRoleCommand')).toBeGreaterThan(lease);
    expect(sts).toHaveReceivedCommandExactlyOnceWith(AssumeRoleCommand, { RoleArn: ROLE, RoleSessionName: `stageline-${SERVICE}-${ENV}`, DurationSeconds: 3600 });
  });

  it('assumes the environment role only once the lease is taken: not while another run applies the environment', async () => {
    const { request, bucket, store } = await bucketWithJob();
    const holder = (await readRun(store, RUN_ID))!;
    await createRun(store, { ...holder, runId: 'run-0' }); // its task 0 is APPLYING app-dev
    await store.put(LOCK, serialize({ runId: 'run-0', taskIndex: 0, digest: request.digest, acquiredAt: NOW }));
    const logs: string[] = [];

    const done = runJob(request, await runnerEnvironment(bucket), logs);
    await until(() => logs.includes(`waiting for run run-0 to finish applying ${ENV}`));
    await sleep(200);
    const assumedWhileWaiting = sts.commandCalls(AssumeRoleCommand).length;
    await store.delete(LOCK); // run-0's job released it
    const report = await done;

    expect(assumedWhileWaiting).toBe(0);
    expect(report.outcome).toBe('succeeded');
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    // After run-0 released the lease and this job took it (later lock writes are this job's renewals).
    const released = events.indexOf(`DeleteObjectCommand ${LOCK}`);
    const acquired = events.indexOf(`PutObjectCommand ${LOCK}`, released);
    expect(released).toBeGreaterThan(-1);
    expect(acquired).toBeGreaterThan(released);
    expect(events.indexOf('AssumeRoleCommand')).toBeGreaterThan(acquired);
  });

  it("gives the provisioner's commands refreshing credentials: read twice across a renewal by the JS SDK and botocore, never the runner's own; the endpoint stops with the job", async () => {
    // Prepare: sessions of 2 s (renewed after 1 s); each command reads the credentials, waits, reads again.
    sessionMs = 2_000;
    const dir = await tempDir('stageline-role-scripts-');
    // Installed tools are readable by everyone (the commands may run as an unprivileged user).
    await chmod(dir, 0o755);
    const node = join(dir, 'read-credentials.mjs');
    await writeFile(
      node,
      [
        "import { createRequire } from 'node:module';",
        `const { defaultProvider } = createRequire(${JSON.stringify(join(REPO, 'package.json'))})('@aws-sdk/credential-provider-node');`,
        'const read = async () => (await defaultProvider()()).accessKeyId; // a new provider each time: no cache',
        'const first = await read();',
        'await new Promise((done) => setTimeout(done, 2200)); // sessions are renewed every second',
        'const second = await read();',
        'console.log(`STAGELINE_OUTPUT js=${first},${second}`);',
        "console.log(`STAGELINE_OUTPUT seen=${process.env.AWS_ACCESS_KEY_ID ?? '-'},${process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ?? '-'}`);",
        'console.log(`STAGELINE_OUTPUT uri=${process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI}`);',
      ].join('\n'),
    );
    const python = join(dir, 'read-credentials.py');
    await writeFile(
      python,
      [
        'import time, botocore.session',
        'credentials = botocore.session.get_session().get_credentials()',
        'first = credentials.get_frozen_credentials().access_key',
        'time.sleep(2.2)',
        'second = credentials.get_frozen_credentials().access_key  # the same object: botocore refreshes it',
        'print("STAGELINE_OUTPUT botocore=%s,%s,%s" % (first, second, credentials.method))',
      ].join('\n'),
    );
    // As root the runner hands the commands to `nobody`, whose python3 may have no botocore (here it
    // is installed under /root): botocore's half runs where the commands' user can import it.
    const withBotocore = spawnSync('python3', ['-c', 'import botocore'], { ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}) }).status === 0;
    const { request, bucket, store } = await bucketWithJob(withBotocore ? `node ${node} && python3 ${python}` : `node ${node}`);
    const logs: string[] = [];

    // Act
    const report = await runJob(request, await runnerEnvironment(bucket), logs);

    // Assess
    expect(report, logs.join('\n')).toEqual({ outcome: 'succeeded', detail: `applied; ${withBotocore ? 4 : 3} outputs` });
    const outputs = JSON.parse((await store.get(outputsKey(ORG, ENV, 'KubernetesDeployment', 'hello')))!.body) as Record<string, string>;
    const [jsFirst, jsSecond] = outputs.js!.split(',');
    expect(jsFirst).toMatch(/^ASIAENV\d+$/);
    expect(jsSecond).toMatch(/^ASIAENV\d+$/);
    expect(jsSecond).not.toBe(jsFirst);
    if (withBotocore) {
      const [pyFirst, pySecond, method] = outputs.botocore!.split(',');
      expect(pyFirst).toMatch(/^ASIAENV\d+$/);
      expect(pySecond).toMatch(/^ASIAENV\d+$/);
      expect(pySecond).not.toBe(pyFirst);
      expect(method).toBe('container-role');
    }
    expect(outputs.seen).toBe('-,-'); // neither the runner's keys nor its own credentials endpoint
    expect(outputs.uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/);
    expect(logs.some((line) => line.startsWith(`${ROLE} for ${ENV}: session renewed, valid until `))).toBe(true);
    // The job is over: nothing answers there any more.
    await expect(fetch(outputs.uri!)).rejects.toThrow();
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: TOKEN });
  }, 30_000);
});
