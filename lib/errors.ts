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
