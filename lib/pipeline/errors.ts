import { StagelineError } from '../errors.js';

type ErrorOptions = { hint?: string; cause?: unknown };

/**
 * The deployment domain's error families. Every message says what is wrong and where: the file
 * (or overlay / deployment target) and the path inside the manifest, in one line.
 */

/** A rendered manifest is unusable: wrong shape, missing `metadata.env`, unknown environment, too big. */
export class ManifestError extends StagelineError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('MANIFEST_INVALID', message, options);
  }
}

/** An inline deployment target template uses an unsupported construct or an unknown variable. */
export class TemplateError extends StagelineError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('TEMPLATE_INVALID', message, options);
  }
}

/** A `$secrets-group/…` or `$variables-group/…` reference is malformed or in a field where it is not allowed. */
export class InvalidReferenceError extends StagelineError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('REFERENCE_INVALID', message, options);
  }
}

/** A well-formed reference has no value in its source. The message names the reference, never a value. */
export class UnresolvedReferenceError extends StagelineError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('REFERENCE_UNRESOLVED', message, options);
  }
}

/** Overlays and the service configuration disagree: duplicate environments, unknown overlay names. */
export class EnvironmentMatchError extends StagelineError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('ENVIRONMENT_MATCH', message, options);
  }
}

/** `.env` content cannot be written faithfully (a key or a value dotenv cannot represent). */
export class DotEnvError extends StagelineError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('DOTENV_INVALID', message, options);
  }
}

/** `kustomize init` cannot scaffold: files exist, nothing deployed, bad arguments. */
export class ScaffoldError extends StagelineError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('SCAFFOLD', message, options);
  }
}

/**
 * A build (service + commit) is already stored and this one differs from it: its source and the
 * runs made from it are immutable (DESIGN §4). The message names the build and the first differing file.
 */
export class BuildImmutableError extends StagelineError {
  constructor(service: string, commitSha: string, difference: string) {
    super('BUILD_IMMUTABLE', `build ${service} ${commitSha} is already stored with other source: ${difference}; the stored build is left as it was`, {
      hint: 'a changed source is a new build: commit it (or leave out --commit: uncommitted changes get a commit of their own), or pass another --commit',
    });
  }
}

/**
 * A record read from the store (run.json, a cancel request, an approval gate, a decision…) is not
 * what Stageline wrote: cut off, not JSON, or the wrong shape. It names the record's key (the file
 * under the local store, the object in the bucket); the other records stay usable.
 */
export class CorruptRecordError extends StagelineError {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super('RECORD_CORRUPT', `store record ${key} is corrupt: ${problem}`, {
      hint: `move it aside or restore it from a backup (locally: <state dir>/${key}); the other runs are not affected`,
    });
  }
}
