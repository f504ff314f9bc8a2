import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEntryPoint } from '../../../lib/local-runtime/package-root.js';
import { exampleProject, STACK_TRACE, stageline } from './hostile-support.js';

const BROKEN = 'hello-service-deadbeef00-000000000000';

/** A project with one good run and, next to it, a run.json cut off half-way (a crash mid-write on a filesystem without atomic rename, a bad restore). */
function projectWithTruncatedRun(): { project: string; good: string } {
  const project = exampleProject();
  const first = stageline(['deploy', '--project', project, '--local', '--approve', '--commit', 'abcdef1234']);
  expect(first.code, first.stderr).toBe(0);
  const runsDir = join(project, '.stageline', 'store', 'runs');
  const [good] = readdirSync(runsDir);
  const text = readFileSync(join(runsDir, good!, 'run.json'), 'utf8').replaceAll(good!, BROKEN);
  mkdirSync(join(runsDir, BROKEN));
  writeFileSync(join(runsDir, BROKEN, 'run.json'), text.slice(0, Math.floor(text.length / 2)));
  return { project, good: good! };
}

describe('a corrupt record never blocks the store', () => {
  it('`runs` lists the good runs and marks the broken one, naming its file (text and --json)', () => {
    const { project, good } = projectWithTruncatedRun();
    const runs = stageline(['runs', '--project', project]);
    expect(runs.stderr).not.toMatch(STACK_TRACE);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(new RegExp(`${good}\\s+SUCCEEDED`));
    expect(runs.stdout).toMatch(new RegExp(`${BROKEN}\\s+CORRUPT\\s+.*runs/${BROKEN}/run\\.json`));

    const json = stageline(['runs', '--project', project, '--json']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as { runId: string; status: string; corrupt?: { file: string; problem: string } }[];
    expect(listed.find((run) => run.runId === good)).toMatchObject({ status: 'SUCCEEDED' });
    expect(listed.find((run) => run.runId === BROKEN)).toMatchObject({ status: 'CORRUPT', corrupt: { file: `runs/${BROKEN}/run.json` } });
  });

  it('`status` of the broken run is one named error (exit 1, not an internal error)', () => {
    const { project } = projectWithTruncatedRun();
    const status = stageline(['status', BROKEN, '--project', project]);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(new RegExp(`^error: .*runs/${BROKEN}/run\\.json.* corrupt`, 'm'));
    expect(status.stderr).toMatch(/^hint: /m);
    expect(status.stderr).not.toMatch(/internal error/);
  });

  it('a run.json that is valid JSON but not a run (wrong shape) is reported the same way', () => {
    const { project } = projectWithTruncatedRun();
    writeFileSync(join(project, '.stageline', 'store', 'runs', BROKEN, 'run.json'), '{"schemaVersion":1,"runId":42,"tasks":"nope"}\n');
    const status = stageline(['status', BROKEN, '--project', project]);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(new RegExp(`^error: .*runs/${BROKEN}/run\\.json.* corrupt`, 'm'));
    expect(stageline(['runs', '--project', project]).stdout).toMatch(/CORRUPT/);
  });

  it('deploy still works next to a corrupt run of the same service', () => {
    const { project } = projectWithTruncatedRun();
    const deploy = stageline(['deploy', '--project', project, '--local', '--approve', '--commit', 'abcdef5678']);
    expect(deploy.stderr).not.toMatch(/internal error/);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/SUCCEEDED/);
  });

  it('a corrupt approval gate file: `approve` is one named error, not a crash', async () => {
    const project = exampleProject();
    // A deploy that waits at the production gate (no --approve, not a terminal).
    const child = spawn(process.execPath, [cliEntryPoint(), 'deploy', '--project', project, '--local', '--commit', 'abcdef1234'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const approvals = join(project, '.stageline', 'store', 'approvals');
      const deadline = Date.now() + 30_000;
      while (!(existsSync(approvals) && readdirSync(approvals).some((name) => name.endsWith('.json')))) {
        if (Date.now() > deadline) throw new Error('the gate never opened');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const gateFile = readdirSync(approvals).find((name) => name.endsWith('.json'))!;
      writeFileSync(join(approvals, gateFile), '{"approvalId": "trunc');
      const [run] = readdirSync(join(project, '.stageline', 'store', 'runs'));
      const approve = stageline(['approve', run!, 'app-production', '--project', project, '--as', 'ops@acme.io']);
      expect(approve.stderr).not.toMatch(STACK_TRACE);
      expect(approve.stderr).not.toMatch(/internal error/);
      expect(approve.code).toBe(1);
      expect(approve.stderr).toMatch(new RegExp(`^error: .*approvals/${gateFile.replace('.', '\\.')}.* corrupt`, 'm'));
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
