import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEntryPoint } from '../../../lib/local-runtime/package-root.js';
import { exampleProject, stageline } from './hostile-support.js';

const ESC = '\u001b';

/** Starts a deploy that waits at the production gate; returns the store paths and a stopper. */
async function deployWaitingAtGate(project: string, extra: string[] = []) {
  const child = spawn(process.execPath, [cliEntryPoint(), 'deploy', '--project', project, '--local', '--commit', 'abcdef1234', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const store = join(project, '.stageline', 'store');
  const approvals = join(store, 'approvals');
  const deadline = Date.now() + 30_000;
  while (!(existsSync(approvals) && readdirSync(approvals).some((name) => name.endsWith('.json')))) {
    if (Date.now() > deadline) throw new Error('the gate never opened');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const gateFile = join(approvals, readdirSync(approvals).find((name) => name.endsWith('.json'))!);
  const runId = readdirSync(join(store, 'runs'))[0]!;
  return {
    gateFile,
    runId,
    runFile: join(store, 'runs', runId, 'run.json'),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    },
  };
}

describe('identities and record texts at the CLI', () => {
  it('`approve` refuses the person who triggered the build even when the record has stray blanks and capitals', async () => {
    const project = exampleProject();
    const gate = await deployWaitingAtGate(project);
    try {
      // As a build system may have sent it: `triggeredBy: "OPS@acme.io  "`.
      for (const file of [gate.gateFile, gate.runFile]) {
        writeFileSync(file, readFileSync(file, 'utf8').replace(/"triggeredBy": "[^"]*"/, '"triggeredBy": "OPS@acme.io  "'));
      }
      const self = stageline(['approve', gate.runId, 'app-production', '--project', project, '--as', 'ops@acme.io']);
      expect(self.code).toBe(1);
      expect(self.stderr).toMatch(/^error: ops@acme\.io triggered this build and may not approve it/m);
      expect(JSON.parse(readFileSync(gate.gateFile, 'utf8'))).toMatchObject({ status: 'WAITING' });
      // Another approver may.
      const other = stageline(['approve', gate.runId, 'app-production', '--project', project, '--as', 'lead@acme.io']);
      expect(other.code, other.stderr).toBe(0);
    } finally {
      await gate.stop();
    }
  });

  it('`reject` with a reason holding escape sequences prints them escaped', async () => {
    const project = exampleProject();
    const gate = await deployWaitingAtGate(project);
    try {
      const reject = stageline(['reject', gate.runId, 'app-production', '--project', project, '--as', 'lead@acme.io', '--reason', `bad${ESC}]0;pwned\u0007 image`]);
      expect(reject.code, reject.stderr).toBe(0);
      expect(reject.stdout).not.toContain(ESC);
      expect(reject.stdout).toContain('\\x1b]0;pwned\\x07');
    } finally {
      await gate.stop();
    }
  });

  it('`runs` and `status` print branch names and details from records with control characters escaped', () => {
    const project = exampleProject();
    const runDir = join(project, '.stageline', 'store', 'runs', 'r1');
    mkdirSync(runDir, { recursive: true });
    // A record as a build system could have sent it through the bucket (start-pipeline accepts any branch text).
    writeFileSync(
      join(runDir, 'run.json'),
      JSON.stringify({
        schemaVersion: 1,
        runId: 'r1',
        build: { org: 'acme', service: 'hello-service', commitSha: 'abcdef1234', branch: `main${ESC}[2J${ESC}[31mFAKE\rline`, image: 'i', triggeredBy: 'a@b.c' },
        status: 'FAILED',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        failure: { env: 'app-dev', error: 'x', cause: `boom${ESC}[1A\nforged` },
        tasks: [{ index: 0, overlay: 'dev', env: 'app-dev', kind: 'K', name: 'n', digest: 'd', gated: false, status: 'FAILED', detail: `bad${ESC}[2K`, references: { secrets: [], variables: [] } }],
        skipped: [],
        warnings: [],
      }),
    );
    for (const args of [['runs'], ['status', 'r1']]) {
      const result = stageline([...args, '--project', project]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).not.toContain(ESC);
      expect(result.stdout).not.toContain('\r');
      expect(result.stdout).toContain('\\x1b');
    }
  });

  it('`plan` prints a hostile repository\'s texts (an overlay label) with control characters escaped', () => {
    const project = exampleProject();
    const kustomization = join(project, '_kustomize', 'overlays', 'dev', 'kustomization.yaml');
    writeFileSync(kustomization, `${readFileSync(kustomization, 'utf8')}labels:\n  - pairs:\n      stageline.dev/git-branch: "release-\\e[2J\\e[31m*"\n`);
    const plan = stageline(['plan', '--project', project, '--branch', 'main']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/skipped dev/);
    expect(plan.stdout).not.toContain(ESC);
    expect(plan.stdout).toMatch(/release-\\(u001b|x1b)\[2J/);
  });
});
