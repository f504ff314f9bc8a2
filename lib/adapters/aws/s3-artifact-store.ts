import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PreconditionFailed, type ArtifactStore, type PutConditions, type StoredObject } from '../../ports/artifact-store.js';
import { awsHttpStatus, isAwsError } from './aws-errors.js';

export interface S3ArtifactStoreOptions {
  bucket: string;
  /** Default: a client for the environment's region and credentials. */
  client?: S3Client;
  /** Keys per ListObjectsV2 page. Default: S3's own (1000). */
  listPageSize?: number;
}

/**
 * The ArtifactStore over one S3 bucket (DESIGN §4). Conditional writes are S3's own:
 * `IfNoneMatch: '*'` (create once) and `IfMatch: <etag>` (compare-and-swap). S3 answers a failed
 * condition with 412 PreconditionFailed, and a conditional write that raced another one with 409
 * ConditionalRequestConflict (retried twice first); both become {@link PreconditionFailed}, as does `IfMatch` on a missing
 * object (404). Etags are S3's ETag header values, quotes included.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly listPageSize: number | undefined;

  constructor(options: S3ArtifactStoreOptions) {
    this.bucket = options.bucket;
    this.client = options.client ?? new S3Client({});
    this.listPageSize = options.listPageSize;
    guardConditionalWrites(this.client);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = response.Body ? await response.Body.transformToString('utf-8') : '';
      return { body, etag: response.ETag ?? '' };
    } catch (error) {
      if (isAwsError(error, 'NoSuchKey', 'NotFound') || awsHttpStatus(error) === 404) return undefined;
      throw error;
    }
  }

  async put(key: string, body: string, conditions: PutConditions = {}): Promise<{ etag: string }> {
    // 409 ConditionalRequestConflict: another conditional write to the key was in flight; S3 asks
    // for a retry, after which the condition is decided for real (412, or success).
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.putOnce(key, body, conditions);
      } catch (error) {
        if (attempt >= 3 || !isConflict(error, conditions)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }

  private async putOnce(key: string, body: string, conditions: PutConditions): Promise<{ etag: string }> {
    try {
      const response = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentTypeOf(key),
          ...(conditions.ifNoneMatch ? { IfNoneMatch: conditions.ifNoneMatch } : {}),
          ...(conditions.ifMatch ? { IfMatch: conditions.ifMatch } : {}),
        }),
      );
      return { etag: response.ETag ?? '' };
    } catch (error) {
      if (failedCondition(error, conditions)) throw new PreconditionFailed(key, conditions, { cause: error });
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ContinuationToken: continuationToken,
          ...(this.listPageSize ? { MaxKeys: this.listPageSize } : {}),
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    // Code-unit order, as the contract and the local store (S3 itself lists in UTF-8 byte order).
    return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isAwsError(error, 'NoSuchKey', 'NotFound') || awsHttpStatus(error) === 404) return;
      throw error;
    }
  }
}

function isConflict(error: unknown, conditions: PutConditions): boolean {
  const cause = error instanceof PreconditionFailed ? (error as { cause?: unknown }).cause : error;
  return Boolean(conditions.ifMatch || conditions.ifNoneMatch) && (isAwsError(cause, 'ConditionalRequestConflict') || awsHttpStatus(cause) === 409);
}

const GUARD = 'stagelineConditionalWriteGuard';

/**
 * Fails closed when the SDK in use cannot send S3 conditional writes. The functions bundle the
 * pinned client-s3, but the CLI and the runner take whatever the user's install resolves; a
 * version older than S3's If-None-Match / If-Match support silently drops those members, which
 * would turn every compare-and-swap into a blind overwrite.
 */
function guardConditionalWrites(client: S3Client): void {
  if (client.middlewareStack.identify().some((entry) => entry.startsWith(GUARD))) return;
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { IfNoneMatch?: string; IfMatch?: string };
      const headers = (args.request as { headers?: Record<string, string> } | undefined)?.headers ?? {};
      const has = (name: string) => Object.keys(headers).some((header) => header.toLowerCase() === name);
      if ((input.IfNoneMatch && !has('if-none-match')) || (input.IfMatch && !has('if-match'))) {
        throw new Error('this AWS SDK does not send S3 conditional writes (If-None-Match / If-Match); Stageline needs @aws-sdk/client-s3 3.700 or later');
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: GUARD },
  );
}

function failedCondition(error: unknown, conditions: PutConditions): boolean {
  if (!conditions.ifMatch && !conditions.ifNoneMatch) return false;
  const status = awsHttpStatus(error);
  if (isAwsError(error, 'PreconditionFailed', 'ConditionalRequestConflict') || status === 412 || status === 409) return true;
  // If-Match on an object that does not exist: S3 says 404 NoSuchKey; for the contract it is a failed condition.
  return Boolean(conditions.ifMatch) && (isAwsError(error, 'NoSuchKey', 'NotFound') || status === 404);
}

function contentTypeOf(key: string): string {
  if (key.endsWith('.json')) return 'application/json; charset=utf-8';
  if (key.endsWith('.yaml') || key.endsWith('.yml')) return 'application/yaml; charset=utf-8';
  return 'text/plain; charset=utf-8';
}
