/**
 * Every error a user can cause is a StagelineError: it carries a stable `code`, a message that
 * says what is wrong and where, and optionally a hint saying what to do about it. The CLI prints
 * `error: <message>` (+ `hint: ...`) and exits 1; anything else is an internal error (exit 2).
 */
export class StagelineError extends Error {
  readonly code: string;
  readonly hint?: string;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** A configuration file (organization, service, secrets, variables) is malformed. */
export class ConfigError extends StagelineError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/** A command-line flag or argument is wrong. */
export class UsageError extends StagelineError {
  constructor(message: string, options: { hint?: string } = {}) {
    super('USAGE', message, options);
  }
}

export function isStagelineError(error: unknown): error is StagelineError {
  return error instanceof StagelineError;
}

/** Why a write failed, for the errno values that are the machine's state and not a bug. */
const STORAGE_PROBLEMS: Record<string, { what: string; hint: (where: string) => string }> = {
  ENOSPC: { what: 'no space left on the device', hint: (where) => `free space on the filesystem of ${where} (df -h ${where}) and retry` },
  EDQUOT: { what: 'the disk quota is exceeded', hint: (where) => `free space under your quota on ${where} (quota -s), or raise the quota, and retry` },
  EROFS: { what: 'the filesystem is read-only', hint: () => 'remount it read-write, or use a writable directory (--state-dir for the store)' },
  EIO: { what: 'an input/output error of the device', hint: (where) => `check the disk holding ${where} (dmesg); retry once it is healthy` },
  EACCES: { what: 'permission denied', hint: (where) => `make ${where} writable for this user, or use another directory (--state-dir for the store)` },
  EPERM: { what: 'the operation is not permitted', hint: (where) => `make ${where} writable for this user, or use another directory (--state-dir for the store)` },
  EMFILE: { what: 'too many open files', hint: () => 'raise the open-file limit (ulimit -n) and retry' },
  ENFILE: { what: 'too many open files on the system', hint: () => 'close other programs or raise the system limit, and retry' },
};

/**
 * Writing (or reading) a local file failed for a reason of the machine — a full disk, a quota, a
 * read-only or failing filesystem — not of Stageline: one line naming the file and the cause, a
 * hint to fix it. The errno stays in `errno` (and the message) for scripts.
 */
export class StorageError extends StagelineError {
  readonly errno: string;
  readonly path: string;

  constructor(operation: 'write' | 'read', path: string, errno: string, where: string, options: { cause?: unknown } = {}) {
    const problem = STORAGE_PROBLEMS[errno]!;
    super('STORAGE_FAILED', `cannot ${operation} ${path}: ${problem.what} (${errno})`, { hint: problem.hint(where), cause: options.cause });
    this.errno = errno;
    this.path = path;
  }

  /** The StorageError for `error` if its errno is a machine problem (ENOSPC, EDQUOT, EROFS, EIO, …); undefined otherwise. */
  static from(error: unknown, operation: 'write' | 'read', path: string, where: string): StorageError | undefined {
    const errno = (error as NodeJS.ErrnoException | undefined)?.code;
    if (errno === undefined || !(errno in STORAGE_PROBLEMS)) return undefined;
    return new StorageError(operation, (error as NodeJS.ErrnoException).path ?? path, errno, where, { cause: error });
  }
}
