import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliEntryPoint, packageRoot } from '../../../lib/local-runtime/package-root.js';

/** A new platform engineer's first steps: scaffold a service, plan it, write its .env, deploy it; plan agrees with deploy. */

function stageline(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [cliEntryPoint(), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch: string[] = [];
function tempDir(name = 'svc'): string {
  const parent = mkdtempSync(join(tmpdir(), 'stageline-new-'));
  scratch.push(parent);
  const dir = join(parent, name);
  mkdirSync(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function gitRepository(dir: string, branch: string): void {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', branch);
  git('config', 'user.email', 'dev@acme.io');
  git('config', 'user.name', 'Dev');
}

describe('kustomize init --new', () => {
  it('scaffolds a service that plans, writes .env and deploys locally without edits', () => {
    const project = tempDir('payments-api');
    gitRepository(project, 'main');
    writeFileSync(join(project, '.gitignore'), 'node_modules/');

    const init = stageline(['kustomize', 'init', '--new', '--org', 'acme'], project);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('wrote stageline.yaml (service payments-api)');
    expect(init.stdout).toContain('wrote .stageline/organization.yaml (organization acme: dev → staging → production, production gated (approver dev@acme.io))');
    expect(readFileSync(join(project, '.gitignore'), 'utf8')).toBe(
      'node_modules/\n\n# Stageline: local secrets, variables, store and .env files stay on this machine\n.stageline/secrets.yaml\n.stageline/variables.yaml\n.stageline/store/\n.env*\n',
    );

    const plan = stageline(['plan', '--json'], project);
    expect(plan.code).toBe(0);
    expect((JSON.parse(plan.stdout) as { tasks: { env: string; gate: unknown }[] }).tasks.map((task) => [task.env, task.gate !== null])).toEqual([
      ['dev', false],
      ['staging', false],
      ['production', true],
    ]);

    expect(stageline(['dot-env'], project).code).toBe(0);
    expect(statSync(join(project, '.env')).mode & 0o777).toBe(0o600);

    const deploy = stageline(['deploy', '--local', '--approve'], project);
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/^3\s+production\s+production\s+SUCCEEDED/m);
    // Nothing the scaffold or the run wrote is left for git to pick up but the service's own files.
    const untracked = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: project, encoding: 'utf8' });
    expect(untracked).not.toMatch(/secrets|variables|store\/|\.env/);
  });

  it('a second init --new leaves everything as it was and says why', () => {
    const project = tempDir();
    expect(stageline(['kustomize', 'init', '--new'], project).code).toBe(0);
    const before = readFileSync(join(project, 'stageline.yaml'), 'utf8');
    const again = stageline(['kustomize', 'init', '--new'], project);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: _kustomize already exists \(.*\); nothing written\nhint: pass --force/);
    expect(readFileSync(join(project, 'stageline.yaml'), 'utf8')).toBe(before);
  });
});

describe('plan', () => {
  it('shows the digests the run deploys, on the git branch as deploy does', () => {
    const project = tempDir();
    cpSync(join(packageRoot(), 'examples', 'hello-service'), project, { recursive: true });
    gitRepository(project, 'release-7');
    execFileSync('git', ['add', '.'], { cwd: project });
    execFileSync('git', ['commit', '-qm', 'first'], { cwd: project });

    const plan = JSON.parse(stageline(['plan', '--json'], project).stdout) as { branch: string; tasks: { env: string; digest: string }[] };
    expect(plan.branch).toBe('release-7');
    expect(stageline(['deploy', '--local', '--approve'], project).code).toBe(0);
    const run = JSON.parse(stageline(['status', JSON.parse(stageline(['runs', '--json'], project).stdout)[0].runId, '--json'], project).stdout) as { build: { branch: string }; tasks: { env: string; digest: string }[] };
    expect(run.build.branch).toBe('release-7');
    expect(run.tasks.map((task) => [task.env, task.digest])).toEqual(plan.tasks.map((task) => [task.env, task.digest]));
  });

  it('refuses a service of another organization, as deploy does', () => {
    const project = tempDir();
    cpSync(join(packageRoot(), 'examples', 'hello-service'), project, { recursive: true });
    writeFileSync(join(project, 'stageline.yaml'), readFileSync(join(project, 'stageline.yaml'), 'utf8').replace('org: acme', 'org: globex'));
    const { code, stdout, stderr } = stageline(['plan'], project);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'error: stageline.yaml: metadata.org is "globex" but the organization config is "acme"\nhint: set metadata.org to "acme", or pass the organization config of "globex" with --org-config (now .stageline/organization.yaml)\n',
    );
  });

  it('finds the project upwards from a subdirectory, like git, but not beyond the work tree', () => {
    const project = tempDir();
    cpSync(join(packageRoot(), 'examples', 'hello-service'), project, { recursive: true });
    gitRepository(project, 'main');
    const overlay = join(project, '_kustomize', 'overlays', 'dev');
    expect(stageline(['plan', '--json'], overlay).code).toBe(0);
    expect(stageline(['deploy', '--local', '--approve'], overlay).code).toBe(0);
    expect(JSON.parse(stageline(['runs', '--json'], project).stdout)).toHaveLength(1);

    const nested = join(project, 'tools');
    mkdirSync(nested);
    gitRepository(nested, 'main'); // another work tree inside: its own root, no stageline.yaml
    const { code, stderr } = stageline(['plan'], nested);
    expect(code).toBe(1);
    expect(stderr).toBe('error: stageline.yaml: not found\nhint: run in the service repository, or pass --project DIR\n');
  });
});
