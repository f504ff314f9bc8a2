/** Where a command writes. Commands never touch process.stdout directly, so tests capture output. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Whether stdout is an interactive terminal (progress redraws, prompts). */
  readonly interactive: boolean;
  readonly cwd: string;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  interactive: Boolean(process.stdout.isTTY),
  cwd: process.cwd(),
};
