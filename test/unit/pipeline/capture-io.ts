import type { CliIo } from '../../../lib/cli/io.js';

/** A CliIo that records what a command prints. */
export function captureIo(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { out: (line) => stdout.push(line), err: (line) => stderr.push(line), interactive: false, cwd, stdout, stderr };
}
