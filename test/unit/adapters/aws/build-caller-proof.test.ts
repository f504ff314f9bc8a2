import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignCallerIdentity, StsBuildAuthenticator, triggeredByOf } from '../../../../lib/adapters/aws/build-caller-proof.js';
import { buildRecordDigest, startPipeline } from '../../../../lib/pipeline/workflow/start-pipeline.js';
import { buildSourcePrefix, readRun, type BuildEvent } from '../../../../lib/pipeline/workflow/records.js';
import { startMoto, type Credentials, type MotoServer } from '../../../support/moto-server.js';
import { memoryStore, recordingCallbacks } from '../../pipeline/approvals/harness.js';
import { RecordingStarter } from '../../pipeline/workflow/harness.js';

// STS itself (moto, IAM enforced; test/support/moto_server.py verifies presigned requests as STS
// does) decides whether a build record's callerProof holds.

let moto: MotoServer;
let deployer: Credentials;
let deployerArn: string;
let alice: Credentials;

const RECORD: BuildEvent = { org: 'acme', service: 'orders', commitSha: 'a'.repeat(40), branch: 'main', image: 'registry.example/orders:1', triggeredBy: 'ops@acme.io' };

beforeAll(async () => {
  moto = await startMoto({ enforceIam: true });
  const iam = new IAMClient(moto.adminClientConfig());
  await iam.send(new CreateRoleCommand({ RoleName: 'ci-deployer', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${moto.accountId}:root` }, Action: 'sts:AssumeRole' }] }) }));
  const session = await new STSClient(moto.adminClientConfig()).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${moto.accountId}:role/ci-deployer`, RoleSessionName: 'pipeline-1234' }));
  deployer = { accessKeyId: session.Credentials!.AccessKeyId!, secretAccessKey: session.Credentials!.SecretAccessKey!, sessionToken: session.Credentials!.SessionToken! };
  deployerArn = session.AssumedRoleUser!.Arn!;
  await iam.send(new CreateUserCommand({ UserName: 'alice' }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
  alice = { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

const authenticator = (now?: () => Date) => new StsBuildAuthenticator({ extraEndpoint: moto.endpoint, ...(now ? { now } : {}) });
const proofFor = (record: object, credentials: Credentials, now?: Date) =>
  presignCallerIdentity({ credentials, region: moto.region, endpoint: moto.endpoint, recordDigest: buildRecordDigest(record), ...(now ? { now } : {}) });

describe('callerProof: a presigned STS GetCallerIdentity bound to the build record', () => {
  it("names the role session whose credentials signed it, and an IAM user's own ARN", async () => {
    const caller = await authenticator().authenticate(proofFor(RECORD, deployer), buildRecordDigest(RECORD));
    expect(caller).toEqual({ arn: deployerArn, account: moto.accountId, triggeredBy: deployerArn });
    expect(deployerArn).toMatch(/:assumed-role\/ci-deployer\/pipeline-1234$/);
    expect((await authenticator().authenticate(proofFor(RECORD, alice), buildRecordDigest(RECORD))).arn).toBe(`arn:aws:iam::${moto.accountId}:user/alice`);
  });

  it('is refused for another record (a changed image), as STS refuses the signature', async () => {
    const proof = proofFor(RECORD, deployer);
    const changed = { ...RECORD, image: 'evil.example/orders:1' };
    await expect(authenticator().authenticate(proof, buildRecordDigest(changed))).rejects.toMatchObject({ code: 'BUILD_NOT_AUTHENTICATED', message: expect.stringMatching(/STS refused \(SignatureDoesNotMatch\)/) });
  });

  it('is refused when forged (a signature made with a wrong secret) or absent', async () => {
    const forged = proofFor(RECORD, { ...deployer, secretAccessKey: 'not-the-secret' });
    await expect(authenticator().authenticate(forged, buildRecordDigest(RECORD))).rejects.toMatchObject({ code: 'BUILD_NOT_AUTHENTICATED' });
    await expect(authenticator().authenticate(undefined, buildRecordDigest(RECORD))).rejects.toThrow(/has no callerProof/);
  });

  it('is refused once expired (15 minutes), by our own check and by STS', async () => {
    const signedAt = new Date(Date.now() - 16 * 60_000);
    const old = proofFor(RECORD, deployer, signedAt);
    await expect(authenticator().authenticate(old, buildRecordDigest(RECORD))).rejects.toThrow(/callerProof that is expired/);
    // STS on its own (our clock check skipped by a clock that says it was just signed): ExpiredToken.
    await expect(authenticator(() => signedAt).authenticate(old, buildRecordDigest(RECORD))).rejects.toThrow(/STS refused \(ExpiredToken\)/);
  });

  it('is never sent anywhere but STS: another host, another action or an extra parameter is refused before any request', async () => {
    const requested: string[] = [];
    const spy = new StsBuildAuthenticator({ extraEndpoint: moto.endpoint, fetch: (async (url: string) => { requested.push(String(url)); return new Response('', { status: 500 }); }) as typeof fetch });
    const proof = new URL(proofFor(RECORD, deployer));
    const digest = buildRecordDigest(RECORD);
    const elsewhere = proof.href.replace(proof.origin, 'https://sts.amazonaws.com.attacker.example');
    await expect(spy.authenticate(elsewhere, digest)).rejects.toThrow(/not an STS endpoint of AWS/);
    await expect(spy.authenticate(proof.href.replace('GetCallerIdentity', 'AssumeRole'), digest)).rejects.toThrow(/not a GetCallerIdentity request/);
    await expect(spy.authenticate(`${proof.href}&Action=GetCallerIdentity`, digest)).rejects.toThrow(/Action twice/);
    await expect(spy.authenticate(`${proof.href}&RoleArn=x`, digest)).rejects.toThrow(/unexpected parameter "RoleArn"/);
    await expect(spy.authenticate(proof.href.replace('x-stageline-build-sha256', 'x-other'), digest)).rejects.toThrow(/not bound to the record/);
    expect(requested).toEqual([]);
    // AWS's own STS endpoints pass the shape check (and would then be asked).
    await expect(spy.authenticate(proof.href.replace(proof.origin, 'https://sts.eu-west-1.amazonaws.com'), digest)).rejects.toMatchObject({ code: 'STS_UNREACHABLE' });
    expect(requested).toHaveLength(1);
  });

  it('an IAM Identity Center session is its user name; any other role session stays its full ARN', () => {
    expect(triggeredByOf('arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Developers_0123abcd/alice@acme.io')).toBe('alice@acme.io');
    expect(triggeredByOf('arn:aws:sts::111111111111:assumed-role/github-actions/alice@acme.io')).toBe('arn:aws:sts::111111111111:assumed-role/github-actions/alice@acme.io');
  });
});

describe('startPipeline with an authenticator (the start-pipeline Lambda)', () => {
  async function startWith(detail: object) {
    const store = memoryStore();
    await store.put(`${buildSourcePrefix('orders', RECORD.commitSha)}stageline.yaml`, 'apiVersion: stageline.dev/v1\nkind: Service\nmetadata: { name: orders, org: acme }\n');
    const starter = new RecordingStarter();
    const deps = { store, clock: { now: () => new Date() }, starter, callbacks: recordingCallbacks(), authenticate: authenticator() };
    return { store, starter, result: startPipeline(deps, { source: 'stageline.build', 'detail-type': 'Build Completed', detail }) };
  }

  it('a record naming someone else as triggeredBy runs as its signer, the claim kept as a warning, the proof not stored', async () => {
    const { store, result } = await startWith({ ...RECORD, callerProof: proofFor(RECORD, deployer) });
    const run = (await readRun(store, (await result).runId))!;
    expect(run.build.triggeredBy).toBe(deployerArn);
    expect(run.build).not.toHaveProperty('callerProof');
    expect(run.warnings).toEqual([`the build record named "ops@acme.io" as triggeredBy; the run records the caller AWS authenticated: ${deployerArn}`]);
  });

  it('a record without a proof, or with one of another record, creates no run and starts nothing', async () => {
    for (const detail of [RECORD, { ...RECORD, image: 'evil.example/orders:1', callerProof: proofFor(RECORD, deployer) }]) {
      const { store, starter, result } = await startWith(detail);
      await expect(result).rejects.toMatchObject({ name: 'BuildNotAuthenticatedError', code: 'BUILD_NOT_AUTHENTICATED' });
      expect([...store.objects.keys()].filter((key) => key.startsWith('runs/'))).toEqual([]);
      expect(starter.names).toEqual([]);
    }
  });
});
