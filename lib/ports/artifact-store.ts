import { StagelineError } from '../errors.js';

/**
 * The object store every part of Stageline shares: one S3 bucket in AWS, a directory locally
 * (`.stageline/store/`). Keys are POSIX-like paths (`runs/<runId>/run.json`, see DESIGN §4); bodies
 * are UTF-8 text (every object Stageline writes is YAML or JSON).
 *
 * Conditional writes make "exactly once" and read-modify-write safe under concurrency:
 * - `put(key, body, { ifNoneMatch: '*' })` creates the object only if it does not exist;
 * - `put(key, body, { ifMatch: etag })` replaces it only if it still has that etag (compare-and-swap).
 * A failed condition throws {@link PreconditionFailed}; callers re-read and retry, or treat it as
 * "someone else already did it".
 *
 * Etags are opaque strings: compare them for equality only (S3's are quoted MD5s, the local
 * store's are the content sha256).
 */
export interface ArtifactStore {
  /** The object and its current etag, or `undefined` when there is no object at `key`. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Writes the object (subject to `conditions`) and returns its new etag. */
  put(key: string, body: string, conditions?: PutConditions): Promise<{ etag: string }>;
  /** Every key that starts with `prefix`, sorted. `list('runs/r1/')` lists the whole run. */
  list(prefix: string): Promise<string[]>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
}

export interface StoredObject {
  body: string;
  etag: string;
}

/** At most one of the two; no conditions = unconditional overwrite. */
export interface PutConditions {
  /** `'*'`: write only if no object exists at the key (S3 `If-None-Match: *`). */
  ifNoneMatch?: '*';
  /** Write only if the current object has this etag (S3 `If-Match`). A missing object fails too. */
  ifMatch?: string;
}

/** A conditional `put` found the object in another state than the condition required. */
export class PreconditionFailed extends StagelineError {
  readonly key: string;

  constructor(key: string, condition: PutConditions, options: { cause?: unknown } = {}) {
    const wanted = condition.ifNoneMatch ? 'no object' : `etag ${condition.ifMatch}`;
    super('PRECONDITION_FAILED', `store object ${key} changed concurrently: the write required ${wanted}`, {
      ...options,
      hint: 'read the object again and retry',
    });
    this.key = key;
  }
}

export function isPreconditionFailed(error: unknown): error is PreconditionFailed {
  return error instanceof PreconditionFailed;
}
