import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { cliEntryPoint, packageRoot } from '../../../lib/local-runtime/package-root.js';

/** What a user sees from one CLI run: exit code and both streams. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The compiled CLI as a user runs it. */
export function stageline(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [cliEntryPoint(), ...args], {
    cwd: options.cwd ?? packageRoot(),
    encoding: 'utf8',
    env: { ...process.env, STAGELINE_DEBUG: '', ...options.env },
    ...(options.input !== undefined ? { input: options.input } : {}),
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A shell line run with bash (real pipes); the shell function `stageline` runs the compiled CLI. */
export function shell(script: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const result = spawnSync('bash', ['-c', `stageline() { "$STAGELINE_NODE" "$STAGELINE_CLI" "$@"; }\n${script}`], {
    cwd: options.cwd ?? packageRoot(),
    encoding: 'utf8',
    env: { ...process.env, STAGELINE_DEBUG: '', STAGELINE_NODE: process.execPath, STAGELINE_CLI: cliEntryPoint(), ...options.env },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'stageline-hostile-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** A fresh copy of examples/hello-service (organization, secrets, variables; no store). */
export function exampleProject(): string {
  const project = tempDir();
  cpSync(join(packageRoot(), 'examples', 'hello-service'), project, { recursive: true });
  rmSync(join(project, '.stageline', 'store'), { recursive: true, force: true });
  return project;
}

/** No stack trace: neither Node's (`    at …`) nor an unhandled 'error' event. */
export const STACK_TRACE = /\n\s+at |Unhandled 'error' event|node:internal/;
