import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cliEntryPoint } from '../../../lib/local-runtime/package-root.js';
import { exampleCopy, stageline } from './example-project.js';

/** Following a local run from another shell: `status --follow`, `events --follow`, approvals shown by `status`. */

const env = { ...process.env, NO_COLOR: '1' };
function background(args: string[], cwd: string) {
  const child = spawn(process.execPath, [cliEntryPoint(), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => stdout + stderr };
}


async function until<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('following a local run from another shell', () => {
  it('status --follow prints each change until the run ends; status shows the approval it received', async () => {
    const project = exampleCopy();
    const deploy = background(['deploy', '--local', '--triggered-by', 'dev@acme.io'], project);
    try {
      const runId = await until(() => {
        const runs = JSON.parse(stageline(['runs', '--json'], project).stdout || '[]') as { runId: string; status: string }[];
        const run = runs[0];
        if (!run) return undefined;
        const status = stageline(['status', run.runId, '--json'], project);
        if (status.code !== 0) return undefined;
        const tasks = (JSON.parse(status.stdout) as { tasks: { env: string; status: string }[] }).tasks;
        return tasks.some((task) => task.env === 'app-production' && task.status === 'WAITING_APPROVAL') ? run.runId : undefined;
      });
      const follow = background(['status', runId, '--follow'], project);
      const events = background(['events', runId, '--follow'], project);
      await until(() => (follow.output().includes('following') ? true : undefined));
      expect(stageline(['approve', runId, 'app-production', '--as', 'ops@acme.io', '--reason', 'looks good'], project).code).toBe(0);

      const followed = await follow.done;
      expect(followed.code).toBe(0);
      expect(followed.stderr).toMatch(/app-production\s+APPLYING/);
      expect(followed.stdout).toMatch(/^run \S+: SUCCEEDED$/m);
      expect(followed.stdout).toMatch(/^app-production: approved by ops@acme\.io at \S+ \(looks good\)$/m);
      const streamed = await events.done;
      expect(streamed.stdout.trimEnd().split('\n').at(-1)).toMatch(/run RUNNING → SUCCEEDED$/);
      expect((await deploy.done).code).toBe(0);
    } finally {
      deploy.child.kill('SIGKILL');
    }
  }, 60_000);
});
