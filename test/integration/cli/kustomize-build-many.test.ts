import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEntryPoint, packageRoot } from '../../../lib/local-runtime/package-root.js';

/** The compiled CLI as a user runs it (the launcher, its `kustomize build` fast path and the full CLI). */
function stageline(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(process.execPath, [cliEntryPoint(), ...args], { cwd: options.cwd ?? packageRoot(), encoding: 'utf8', env: options.env ?? process.env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const overlays = join(packageRoot(), 'examples', 'hello-service', '_kustomize', 'overlays');
const dev = join(overlays, 'dev');
const production = join(overlays, 'production');
const single = (dir: string) => stageline(['kustomize', 'build', dir]).stdout;

const scratch = mkdtempSync(join(tmpdir(), 'stageline-cli-many-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const broken = join(scratch, 'broken');
mkdirSync(broken);
writeFileSync(join(broken, 'kustomization.yaml'), 'resources:\n- missing.yaml\n');
const empty = join(scratch, 'empty');
mkdirSync(empty);
writeFileSync(join(empty, 'kustomization.yaml'), 'resources: []\n');

describe('stageline kustomize build DIR DIR…', () => {
  it('builds each directory in one process, each output after `# dir: DIR`, `---` between them', () => {
    const { code, stdout, stderr } = stageline(['kustomize', 'build', dev, production, empty]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(`# dir: ${dev}\n${single(dev)}---\n# dir: ${production}\n${single(production)}---\n# dir: ${empty}\n`);
  });

  it('names directories as given, relative ones included', () => {
    const { code, stdout } = stageline(['kustomize', 'build', 'dev', 'production', '--reorder=none'], { cwd: overlays });
    expect(code).toBe(0);
    expect(stdout.match(/^# dir: .*$/gm)).toEqual(['# dir: dev', '# dir: production']);
  });

  it('a failing directory fails the command with its name, and nothing is written', () => {
    const { code, stdout, stderr } = stageline(['kustomize', 'build', dev, broken, production]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^error: ${broken}: accumulating resources: `));
    expect(stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(2);
  });

  it('--json prints one line per directory, failures included, and exits 1 when any failed', () => {
    const { code, stdout, stderr } = stageline(['kustomize', 'build', '--json', dev, broken, production]);
    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { dir: string; output?: string; error?: string });
    expect(lines.map((line) => line.dir)).toEqual([dev, broken, production]);
    expect(lines[0]).toEqual({ dir: dev, output: single(dev) });
    expect(lines[1]!.error).toMatch(/^accumulating resources: /);
    expect(lines[2]).toEqual({ dir: production, output: single(production) });
    expect(stderr).toBe('error: 1 of 3 directories failed to build (see their "error" lines)\n');
  });

  it('eight directories or more (built in a worker thread with a larger heap) give the same bytes and exit codes', () => {
    const dirs = [dev, production, empty, dev, production, empty, dev, production];
    const text = stageline(['kustomize', 'build', ...dirs]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(dirs.map((dir) => `# dir: ${dir}\n${single(dir)}`).join('---\n'));
    const json = stageline(['kustomize', 'build', '--json', ...dirs, broken]);
    expect(json.code).toBe(1);
    expect(json.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { dir: string }).dir)).toEqual([...dirs, broken]);
    expect(json.stderr).toBe('error: 1 of 9 directories failed to build (see their "error" lines)\n');
    expect(stageline(['kustomize', 'build', ...dirs, '--frobnicate']).stderr).toContain("unknown option '--frobnicate'");
  });

  it('--json with one directory is one line, exit 0', () => {
    const { code, stdout } = stageline(['kustomize', 'build', dev, '--json']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${JSON.stringify({ dir: dev, output: single(dev) })}\n`);
  });

  it('--out and --overlay take a single directory; a project root or a missing dir is a clear error', () => {
    const out = stageline(['kustomize', 'build', dev, production, '--out', join(scratch, 'out')]);
    expect(out).toMatchObject({ code: 1, stdout: '' });
    expect(out.stderr).toMatch(/^error: --out takes a single directory \(got 2\)\nhint: /);
    expect(stageline(['kustomize', 'build', dev, production, '--overlay', 'dev']).stderr).toMatch(/^error: --overlay takes a single directory/);
    const project = stageline(['kustomize', 'build', dev, join(packageRoot(), 'examples', 'hello-service')]);
    expect(project.code).toBe(1);
    expect(project.stderr).toContain('no kustomization file');
    expect(project.stderr).toContain('hint: the multi-directory form builds kustomization directories; build a project root on its own');
    const missing = stageline(['kustomize', 'build', dev, join(scratch, 'nope')]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/nope: no such directory/);
  });
});

describe('the kustomize build fast path agrees with the full CLI', () => {
  it('--help is the full help, with the multi-directory form', () => {
    const { code, stdout } = stageline(['kustomize', 'build', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: stageline kustomize build [options] [dirs...]');
    expect(stdout).toContain('--json');
  });

  it('a bad --reorder value, an unknown flag or a missing value is commander\'s usage error', () => {
    const reorder = stageline(['kustomize', 'build', dev, '--reorder', 'bogus']);
    expect(reorder.code).toBe(1);
    expect(reorder.stderr).toContain("argument 'bogus' is invalid");
    const unknown = stageline(['kustomize', 'build', dev, '--frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown option '--frobnicate'");
    const missing = stageline(['kustomize', 'build', dev, '--out']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("option '--out <dir>' argument missing");
  });

  it('builds the same bytes without the code cache', () => {
    const plain = stageline(['kustomize', 'build', dev, production], { env: { ...process.env, STAGELINE_CODE_CACHE: '0' } });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(stageline(['kustomize', 'build', dev, production]).stdout);
  });
});
