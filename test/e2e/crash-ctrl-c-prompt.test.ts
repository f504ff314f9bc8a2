import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { readGate } from '../../lib/pipeline/approvals/gate.js';
import { listRuns } from '../../lib/pipeline/workflow/records.js';
import { cliEntryPoint } from '../../lib/local-runtime/package-root.js';
import { SERVICE_YAML, TestProject } from './harness.js';

/** Ctrl-C at the approval prompt (a real terminal: `script` gives the deploy a pty): one press stops the run and closes the gate. */
const projects: TestProject[] = [];
afterEach(() => {
  for (const created of projects.splice(0)) created.cleanup();
});

const SERVICE = SERVICE_YAML(['dev', 'production']);

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

describe('Ctrl-C at the approval prompt', () => {
  it('one Ctrl-C stops the deploy; the gate is closed, not left WAITING and approvable', async () => {
    const project = new TestProject({ 'stageline.yaml': SERVICE });
    projects.push(project);
    const command = [process.execPath, cliEntryPoint(), 'deploy', '--local', '--project', project.dir, '--commit', 'aaaaaaa1', '--branch', 'main', '--triggered-by', 'dev@acme.io'].map(shellQuote).join(' ');
    const terminal = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    terminal.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => terminal.once('exit', (code) => resolve(code)));
    try {
      for (const deadline = Date.now() + 30_000; !/Approve hello-service → app-production/.test(screen); await new Promise((resolve) => setTimeout(resolve, 25))) {
        if (Date.now() > deadline) throw new Error(`no prompt; the terminal shows:\n${screen}`);
      }
      const pressedAt = Date.now();
      terminal.stdin.write('\u0003');
      const stop = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000))]);

      expect(stop).not.toBe('still running');
      expect(Date.now() - pressedAt).toBeLessThan(10_000);
      const [run] = await listRuns(project.store);
      expect(run!.status).toBe('CANCELLED');
      const gate = (await readGate(project.store, run!.tasks[1]!.approvalId!))!.gate;
      expect(gate.status).toBe('CANCELLED');
    } finally {
      terminal.kill('SIGKILL');
    }
  }, 60_000);
});
