import crypto from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) refuses
 * ("digital envelope routines::unsupported"): every truncated listing would be a 500. Its tokens
 * are opaque to the client, so within this test process 'des' becomes an identity transform; every
 * other algorithm is untouched.
 */
function allowS3rverContinuationTokens(): void {
  const marker = Symbol.for('stageline.test.des-identity');
  const patched = crypto as unknown as Record<string | symbol, unknown>;
  if (patched[marker]) return;
  patched[marker] = true;
  const identity = () => ({ update: (data: string | Buffer, encoding?: BufferEncoding) => (typeof data === 'string' ? Buffer.from(data, encoding) : Buffer.from(data)), final: () => Buffer.alloc(0) });
  const createCipheriv = crypto.createCipheriv;
  const createDecipheriv = crypto.createDecipheriv;
  patched.createCipheriv = (algorithm: string, ...rest: unknown[]) => (algorithm === 'des' ? identity() : (createCipheriv as (...args: unknown[]) => unknown)(algorithm, ...rest));
  patched.createDecipheriv = (algorithm: string, ...rest: unknown[]) => (algorithm === 'des' ? identity() : (createDecipheriv as (...args: unknown[]) => unknown)(algorithm, ...rest));
}

/** What the shim saw: the conditional PUTs it answered itself. */
export interface ShimStats {
  refusedIfNoneMatch: number;
  refusedIfMatch: number;
}

export interface LocalS3 {
  endpoint: string;
  client: S3Client;
  stats: ShimStats;
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

interface S3rverStore {
  getMetadata(bucket: string, key: string): Promise<{ etag: string }>;
}

/**
 * s3rver in-process on a random port, in a temporary directory, behind a small request-handler
 * shim that adds what s3rver lacks: a PUT with `If-None-Match: *` on an existing key, or with
 * `If-Match` naming another etag (or a missing object), is answered 412 PreconditionFailed as S3
 * does. Requests to one key are serialised, so reads and conditional writes are atomic, like S3's.
 */
export async function startLocalS3(): Promise<LocalS3> {
  allowS3rverContinuationTokens();
  const directory = mkdtempSync(join(tmpdir(), 'stageline-s3rver-'));
  const s3rver = new S3rver({ directory, silent: process.env.S3RVER_DEBUG !== '1', allowMismatchedSignatures: true, vhostBuckets: false });
  const store = (s3rver as unknown as { store: S3rverStore }).store;
  const s3rverHandler = s3rver.callback();
  const stats: ShimStats = { refusedIfNoneMatch: 0, refusedIfMatch: 0 };
  const locks = new Map<string, Promise<void>>();

  const server: Server = createServer((req, res) => {
    const target = objectOf(req);
    if (!target) return s3rverHandler(req, res);
    // s3rver writes an object in several steps; S3 is atomic per key. Serialise every request
    // to one key, so a GET never sees half a PUT and a conditional PUT checks, then writes, alone.
    const lockKey = `${target.bucket}/${target.key}`;
    const previous = locks.get(lockKey) ?? Promise.resolve();
    const done = new Promise<void>((release) => {
      void previous.then(async () => {
        res.on('close', () => release());
        const ifNoneMatch = req.headers['if-none-match'];
        const ifMatch = req.headers['if-match'];
        if (req.method === 'PUT' && (ifNoneMatch !== undefined || ifMatch !== undefined)) {
          const etag = await store.getMetadata(target.bucket, target.key).then((metadata) => metadata.etag, () => undefined);
          if (ifNoneMatch === '*' && etag !== undefined) {
            stats.refusedIfNoneMatch++;
            return preconditionFailed(req, res, target.key);
          }
          if (ifMatch !== undefined && ifMatch !== etag) {
            stats.refusedIfMatch++;
            return etag === undefined ? noSuchKey(req, res, target.key) : preconditionFailed(req, res, target.key);
          }
        }
        s3rverHandler(req, res);
      });
    });
    locks.set(lockKey, done);
    void done.then(() => {
      if (locks.get(lockKey) === done) locks.delete(lockKey);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = s3ClientFor(endpoint);
  return {
    endpoint,
    client,
    stats,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** The client options s3rver needs: path-style URLs, checksums only when required, dummy credentials. */
export function s3ClientFor(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
}

function objectOf(req: IncomingMessage): { bucket: string; key: string } | undefined {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const match = /^\/([^/]+)\/(.+)$/.exec(path);
  return match ? { bucket: decodeURIComponent(match[1]!), key: decodeURIComponent(match[2]!) } : undefined;
}

function preconditionFailed(req: IncomingMessage, res: ServerResponse, key: string): void {
  errorResponse(req, res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', key);
}

function noSuchKey(req: IncomingMessage, res: ServerResponse, key: string): void {
  errorResponse(req, res, 404, 'NoSuchKey', 'The specified key does not exist.', key);
}

function errorResponse(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, key: string): void {
  // Drain the body first, so the client is not cut off while still sending it.
  req.resume();
  req.on('end', () => {
    res.writeHead(status, { 'Content-Type': 'application/xml', 'x-amz-request-id': 'shim' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Key>${key}</Key></Error>`);
  });
}
