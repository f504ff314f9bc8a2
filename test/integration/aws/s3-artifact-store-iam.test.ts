import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '../../../lib/adapters/aws/s3-artifact-store.js';
import { FUNCTION_OBJECT_ACCESS } from '../../../lib/infra/functions.js';
import { assumeRoleWithPolicy, startMotoS3, type MotoS3, type PolicyStatementJson } from './moto-s3.js';

// The S3 store with IAM enforced (moto): a role holding only the bucket prefixes one function is
// granted (lib/infra/functions.ts, in the shape grantObjectAccess writes them) gets AccessDenied
// outside them, and a missing key inside them is absent (404 → undefined), never a 403.
const FUNCTION = 'launch-stack-job';
const BUCKET = 'stageline-iam-test';
let s3: MotoS3;
let admin: S3ArtifactStore;
let store: S3ArtifactStore;

function objectAccessPolicy(bucketArn: string, access: { read: string[]; write: string[] }): PolicyStatementJson[] {
  return [
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn },
    { Effect: 'Allow', Action: 's3:GetObject', Resource: access.read.map((prefix) => `${bucketArn}/${prefix}*`) },
    { Effect: 'Allow', Action: 's3:PutObject', Resource: access.write.map((prefix) => `${bucketArn}/${prefix}*`) },
  ];
}

beforeAll(async () => {
  s3 = await startMotoS3({ enforceIam: true });
  await s3.createBucket(BUCKET);
  admin = new S3ArtifactStore({ bucket: BUCKET, client: s3.client });
  await admin.put('config/organization.yaml', 'kind: Organization\n');
  await admin.put('runs/r1/run.json', '{}');
  await admin.put('locks/acme/app-dev/svc.json', '{"holder":"r0"}');
  await admin.put('deployed/acme/app-dev/svc.yaml', 'a: 1\n');
  const credentials = await assumeRoleWithPolicy(s3.moto, `stageline-${FUNCTION}`, objectAccessPolicy(`arn:aws:s3:::${BUCKET}`, FUNCTION_OBJECT_ACCESS[FUNCTION]));
  store = new S3ArtifactStore({ bucket: BUCKET, client: s3.newClient(credentials) });
});

afterAll(async () => {
  await s3?.close();
});

const accessDenied = { name: 'AccessDenied' };

describe(`S3ArtifactStore with IAM enforced, as the ${FUNCTION} function's role`, () => {
  it('reads what its prefixes hold, and a missing key inside them is absent', async () => {
    expect((await store.get('config/organization.yaml'))?.body).toBe('kind: Organization\n');
    expect((await store.get('runs/r1/run.json'))?.body).toBe('{}');
    expect(await store.get('runs/r9/run.json')).toBeUndefined();
    expect(await store.get('runs/r1/cancel')).toBeUndefined();
  });

  it('gets AccessDenied reading outside its prefixes, for present and missing keys alike (never "absent")', async () => {
    await expect(store.get('locks/acme/app-dev/svc.json')).rejects.toMatchObject(accessDenied);
    await expect(store.get('locks/acme/app-dev/missing.json')).rejects.toMatchObject(accessDenied);
    await expect(store.get('deployed/acme/app-dev/svc.yaml')).rejects.toMatchObject(accessDenied);
  });

  it('writes, conditionally too, only under its write prefixes', async () => {
    const { etag } = await store.put('runs/r1/tasks/0-dev.json', '{"status":"PENDING"}', { ifNoneMatch: '*' });
    await expect(store.put('runs/r1/tasks/0-dev.json', '{"status":"APPLYING"}', { ifMatch: etag })).resolves.toMatchObject({ etag: expect.any(String) });
    await expect(store.put('config/organization.yaml', 'kind: Other\n')).rejects.toMatchObject(accessDenied);
    await expect(store.put('locks/acme/app-dev/svc.json', '{}', { ifNoneMatch: '*' })).rejects.toMatchObject(accessDenied);
    expect((await admin.get('config/organization.yaml'))?.body).toBe('kind: Organization\n');
  });

  it('lists the bucket, and cannot delete (no s3:DeleteObject)', async () => {
    expect(await store.list('runs/r1/')).toEqual(['runs/r1/run.json', 'runs/r1/tasks/0-dev.json']);
    await expect(store.delete('runs/r1/run.json')).rejects.toMatchObject(accessDenied);
    expect(await admin.get('runs/r1/run.json')).toBeDefined();
  });
});
