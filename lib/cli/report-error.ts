import { isStagelineError } from '../errors.js';
import { isClosedOutputError, type CliIo } from './io.js';

/** Exit codes: 0 ok, 1 a user error (one clear line), 2 an internal error (a bug: stack on STAGELINE_DEBUG=1). */
export const EXIT_OK = 0;
export const EXIT_USER_ERROR = 1;
export const EXIT_INTERNAL_ERROR = 2;

/**
 * Prints an error the way every command does and returns its exit code. Kept apart from main.ts
 * so that the `kustomize build` fast path reports errors identically without loading commander.
 */
export function reportError(error: unknown, io: CliIo): number {
  // The reader of our output went away (`stageline kustomize build | head -1` on the fast path,
  // which writes with writeSync): it wanted no more; nothing to report, and no one to report it to.
  if (isClosedOutputError(error)) return EXIT_OK;
  if (isStagelineError(error)) {
    // One line: kustomize-style error chains can carry newlines.
    io.err(`error: ${error.message.replace(/\s*\n\s*/g, ' ').trim()}`);
    if (error.hint) io.err(`hint: ${error.hint}`);
    return EXIT_USER_ERROR;
  }
  io.err(`internal error: ${error instanceof Error ? error.message : String(error)}`);
  io.err('hint: this is a bug in Stageline; rerun with STAGELINE_DEBUG=1 for the stack trace and report it');
  if (process.env.STAGELINE_DEBUG && error instanceof Error && error.stack) io.err(error.stack);
  return EXIT_INTERNAL_ERROR;
}
