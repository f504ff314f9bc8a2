import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliEntryPoint, packageRoot } from '../../../lib/local-runtime/package-root.js';

/** The compiled CLI as a user runs it: exit codes, one-line errors, output. */
function stageline(args: string[], cwd = packageRoot()) {
  const result = spawnSync(process.execPath, [cliEntryPoint(), ...args], { cwd, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stageline-cli-'));
  scratch.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('stageline', () => {
  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    expect(stageline(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('--help lists every command', () => {
    const { code, stdout } = stageline(['--help']);
    expect(code).toBe(0);
    for (const command of ['kustomize', 'dot-env', 'plan', 'deploy', 'runs', 'status', 'cancel', 'approve', 'reject', 'stack-job']) {
      expect(stdout).toContain(command);
    }
  });

  it('an unknown command exits 1', () => {
    const { code, stderr } = stageline(['deplyo']);
    expect(code).toBe(1);
    expect(stderr).toContain("unknown command 'deplyo'");
  });

  it('a user error is one line and a hint, exit 1, no stack trace', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app', 'kustomization.yaml'), 'resources:\n- missing.yaml\n');
    const { code, stdout, stderr } = stageline(['kustomize', 'build', join(dir, 'app')]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^error: accumulating resources: /);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('stageline kustomize build', () => {
  const example = join(packageRoot(), 'examples', 'hello-service');

  it('builds a kustomization directory like `kustomize build DIR`', () => {
    const { code, stdout } = stageline(['kustomize', 'build', join(example, '_kustomize', 'overlays', 'production')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^apiVersion: kubernetes\.openmcf\.org\/v1\nkind: KubernetesDeployment\n/);
    expect(stdout).toContain('    minReplicas: 3\n');
  });

  it('builds every overlay of a project, each after a `# overlay:` line', () => {
    const { code, stdout } = stageline(['kustomize', 'build', example]);
    expect(code).toBe(0);
    expect(stdout.match(/^# overlay: .*$/gm)).toEqual(['# overlay: dev', '# overlay: local', '# overlay: production', '# overlay: staging']);
  });

  it('--out writes one file per overlay and nothing to stdout', () => {
    const out = tempDir();
    const { code, stdout } = stageline(['kustomize', 'build', example, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(readdirSync(out).sort()).toEqual(['dev.yaml', 'local.yaml', 'production.yaml', 'staging.yaml']);
    expect(readFileSync(join(out, 'dev.yaml'), 'utf8')).toContain('env: app-dev');
  });

  it('--overlay NAME that does not exist is one clear line with the known overlays', () => {
    const { code, stderr } = stageline(['kustomize', 'build', example, '--overlay', 'prod']);
    expect(code).toBe(1);
    expect(stderr).toContain('overlay "prod" not found');
    expect(stderr).toContain('hint: known overlays: dev, local, production, staging');
  });
});

describe('stageline deploy --local, runs, status', () => {
  it('deploys the example, lists the run and shows its status as JSON', () => {
    const project = tempDir();
    const example = join(packageRoot(), 'examples', 'hello-service');
    spawnSync('cp', ['-r', `${example}/.`, project]);
    rmSync(join(project, '.stageline', 'store'), { recursive: true, force: true });
    const deploy = stageline(['deploy', '--project', project, '--local', '--approve', '--commit', 'abcdef1234']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stdout).toMatch(/^run hello-service-abcdef1234-\w+: SUCCEEDED$/m);
    expect(deploy.stdout).toMatch(/^3\s+production\s+app-production\s+SUCCEEDED/m);
    const runs = stageline(['runs', '--project', project, '--json']);
    const [run] = JSON.parse(runs.stdout) as { runId: string; status: string }[];
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    const status = stageline(['status', run!.runId, '--project', project, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ runId: run!.runId, status: 'SUCCEEDED', tasks: [{ env: 'app-dev' }, { env: 'app-staging' }, { env: 'app-production' }] });
    const missing = stageline(['status', 'nope', '--project', project]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('run nope not found');
  });

  it('a failed run exits 1 and says why', () => {
    const project = tempDir();
    spawnSync('cp', ['-r', `${join(packageRoot(), 'examples', 'hello-service')}/.`, project]);
    rmSync(join(project, '.stageline', 'store'), { recursive: true, force: true });
    const deploy = stageline(['deploy', '--project', project, '--local', '--reject', 'not today']);
    expect(deploy.code).toBe(1);
    expect(deploy.stdout).toMatch(/app-production\s+REJECTED/);
    expect(deploy.stderr).toMatch(/error: run \S+ failed: app-production rejected by \S+: not today/);
  });
});

describe('a corrupt record', () => {
  it('is a user-facing error naming the file (exit 1), not an internal error', () => {
    const project = tempDir();
    mkdirSync(join(project, '.stageline', 'store', 'runs', 'broken'), { recursive: true });
    writeFileSync(join(project, '.stageline', 'store', 'runs', 'broken', 'run.json'), '{ not json');
    const { code, stderr } = stageline(['status', 'broken', '--project', project]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: store record runs\/broken\/run\.json is corrupt: not valid JSON/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
