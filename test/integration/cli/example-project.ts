import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { cliEntryPoint, packageRoot } from '../../../lib/local-runtime/package-root.js';

/** The compiled CLI as a user runs it, in `cwd`: exit code, stdout, stderr (no colours). */
export function stageline(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cliEntryPoint(), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A scratch directory removed after the test. */
export function scratchDir(prefix = 'stageline-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** A copy of examples/hello-service (with its .stageline/ config, secrets and variables), removed after the test. */
export function exampleCopy(): string {
  const dir = scratchDir('stageline-example-');
  cpSync(join(packageRoot(), 'examples', 'hello-service'), dir, { recursive: true });
  return dir;
}
