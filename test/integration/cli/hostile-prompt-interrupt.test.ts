import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEntryPoint } from '../../../lib/local-runtime/package-root.js';
import { exampleProject } from './hostile-support.js';

/** `deploy --local` on a real terminal (a pty, driven by pty-run.py): Ctrl-C once at the approval prompt. */
const python = spawnSync('python3', ['-c', 'import pty']).status === 0;

describe.skipIf(!python)('Ctrl-C at the approval prompt', () => {
  it('one Ctrl-C stops the deploy: the process exits, the run is recorded as interrupted, not left running', () => {
    const project = exampleProject();
    const result = spawnSync('python3', [join(__dirname, 'pty-run.py'), process.execPath, cliEntryPoint(), 'deploy', '--project', project, '--local', '--commit', 'abcdef1234'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stdout).toContain('[y/N]');
    expect(result.stdout).toMatch(/\nEXITED [1-9]\d* after/);
    expect(result.stdout).toMatch(/interrupted.*: stopping the run/);
    expect(result.stdout).not.toMatch(/AbortError/);
    const runs = join(project, '.stageline', 'store', 'runs');
    const run = JSON.parse(readFileSync(join(runs, readdirSync(runs)[0]!, 'run.json'), 'utf8')) as { status: string };
    expect(run.status).not.toBe('RUNNING');
  });
});
