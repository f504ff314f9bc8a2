/** Where a command writes. Commands never touch process.stdout directly, so tests capture output. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Whether stdout is an interactive terminal (progress redraws, prompts). */
  readonly interactive: boolean;
  readonly cwd: string;
}

/**
 * The error codes of a write to an output nobody reads any more: the reader of a pipe exited
 * (`stageline runs | head -1`), the terminal was closed, the stream was already torn down.
 */
const CLOSED_OUTPUT_CODES = new Set(['EPIPE', 'ECONNRESET', 'EIO', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** Whether `error` says the output it was written to is gone (not a fault of the command). */
export function isClosedOutputError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && CLOSED_OUTPUT_CODES.has(String((error as NodeJS.ErrnoException).code));
}

/**
 * A process stream that goes quiet once its reader is gone. Node reports a write to a closed pipe
 * as an 'error' event on the stream, which, unhandled, kills the process with a stack trace. Here
 * the command keeps going (a `deploy --local | head` must still finish its run and record it) and
 * its later lines are dropped; the exit code stays the command's own.
 */
class ClosableOutput {
  private closed = false;
  private guarded = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  write(text: string): void {
    if (this.closed) return;
    if (!this.guarded) {
      this.guarded = true;
      this.stream.on('error', (error) => {
        if (isClosedOutputError(error)) this.closed = true;
        else throw error;
      });
    }
    try {
      this.stream.write(text);
    } catch (error) {
      // A synchronous failure (a stream already destroyed) is the same closed output.
      if (!isClosedOutputError(error)) throw error;
      this.closed = true;
    }
  }
}

const stdout = new ClosableOutput(process.stdout);
const stderr = new ClosableOutput(process.stderr);

export const processIo: CliIo = {
  out: (line) => stdout.write(`${line}\n`),
  err: (line) => stderr.write(`${line}\n`),
  interactive: Boolean(process.stdout.isTTY),
  cwd: process.cwd(),
};

/**
 * A text from a record (a branch name, a reason, a failure detail), made safe to print on a
 * terminal: control characters (ESC sequences that recolour, clear or retitle the screen, a
 * carriage return that overwrites the line, a newline that forges one) are shown as `\xNN`.
 * Tabs are kept; every other character is printed as is.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
