import 'aws-sdk-client-mock-vitest/extend';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '../../../../lib/adapters/aws/s3-artifact-store.js';
import { PreconditionFailed } from '../../../../lib/ports/artifact-store.js';

// What moto does not produce: S3's 409 for racing conditional writes, and the exact request shapes.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const s3 = mockClient(S3Client);
const store = () => new S3ArtifactStore({ bucket: 'stageline-bucket', client: new S3Client({ region: 'eu-west-1' }) });
const serviceError = (name: string, status: number) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

beforeEach(() => s3.reset());

describe('S3ArtifactStore request mapping', () => {
  it('sends IfNoneMatch: * for create-once and IfMatch for compare-and-swap', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e2"' });

    await store().put('runs/r1/cancel', 'x', { ifNoneMatch: '*' });
    await store().put('runs/r1/run.json', '{}', { ifMatch: '"e1"' });
    await store().put('deployed/acme/dev/svc.yaml', 'a: 1\n');

    expect(s3).toHaveReceivedNthCommandWith(PutObjectCommand, 1, { Bucket: 'stageline-bucket', Key: 'runs/r1/cancel', IfNoneMatch: '*' });
    expect(s3).toHaveReceivedNthCommandWith(PutObjectCommand, 2, { Key: 'runs/r1/run.json', IfMatch: '"e1"', ContentType: 'application/json; charset=utf-8' });
    const unconditional = s3.commandCalls(PutObjectCommand)[2]!.args[0].input;
    expect(unconditional).not.toHaveProperty('IfMatch');
    expect(unconditional).not.toHaveProperty('IfNoneMatch');
  });

  it.each([
    ['412 PreconditionFailed', () => serviceError('PreconditionFailed', 412)],
    ['409 ConditionalRequestConflict (after retries)', () => serviceError('ConditionalRequestConflict', 409)],
  ])('maps %s on a conditional write to PreconditionFailed', async (_label, error) => {
    s3.on(PutObjectCommand).rejects(error());

    await expect(store().put('runs/r1/run.json', '{}', { ifMatch: '"e1"' })).rejects.toBeInstanceOf(PreconditionFailed);
    await expect(store().put('runs/r1/cancel', '{}', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailed);
  });

  it('passes other failures on unchanged', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('AccessDenied', 403));
    s3.on(GetObjectCommand).rejects(serviceError('AccessDenied', 403));

    await expect(store().put('runs/r1/run.json', '{}', { ifMatch: '"e1"' })).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(store().get('runs/r1/run.json')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('reads a missing key as undefined', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));

    expect(await store().get('runs/none/run.json')).toBeUndefined();
  });

  it('retries a 409 ConditionalRequestConflict (a racing conditional write), as S3 asks', async () => {
    s3.on(PutObjectCommand).rejectsOnce(serviceError('ConditionalRequestConflict', 409)).resolves({ ETag: '"e3"' });

    expect(await store().put('runs/r1/cancel', 'x', { ifNoneMatch: '*' })).toEqual({ etag: '"e3"' });
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 2);
  });
});
