import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleProject, STACK_TRACE, stageline } from './hostile-support.js';

/** Every file under `dir`, relative, as a list. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const visit = (path: string, rel: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) visit(full, `${rel}${name}/`);
      else out.push(`${rel}${name}`);
    }
  };
  visit(dir, '');
  return out;
}

function deploy(project: string, extra: string[] = []) {
  return stageline(['deploy', '--project', project, '--local', '--approve', '--commit', 'abcdef1234', ...extra]);
}

/** The refusal a user sees: exit 1, one `error:` line naming the path, no stack, and nothing written to the store. */
function expectRefused(project: string, result: ReturnType<typeof deploy>, path: RegExp) {
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(/^error: .*/m);
  expect(result.stderr.split('\n').find((line) => line.startsWith('error:'))).toMatch(path);
  expect(filesUnder(join(project, '.stageline', 'store'))).toEqual([]);
}

const SECRET = 'local-dev-password';

describe('deploy: the build source is gathered through a load restrictor', () => {
  it('a symlink to .stageline/secrets.yaml inside _kustomize/ is refused, naming it; nothing is written, the secret is nowhere in the store', () => {
    const project = exampleProject();
    symlinkSync('../../../.stageline/secrets.yaml', join(project, '_kustomize', 'overlays', 'dev', 'leak.yaml'));
    const result = deploy(project);
    expectRefused(project, result, /_kustomize\/overlays\/dev\/leak\.yaml/);
    expect(result.stderr).not.toContain(SECRET);
  });

  it('symlinks to /etc/shadow, /proc/self/environ and to a directory outside the project are refused', () => {
    for (const [target, name] of [['/etc/shadow', 'shadow.yaml'], ['/proc/self/environ', 'environ.yaml'], ['/usr', 'usr']] as const) {
      const project = exampleProject();
      symlinkSync(target, join(project, '_kustomize', 'base', name));
      const result = deploy(project);
      expectRefused(project, result, new RegExp(`_kustomize/base/${name.replace('.', '\\.')}`));
      expect(result.stderr).toMatch(/outside|not a regular file/);
    }
  });

  it('a symlink loop is one clear error (exit 1), not a crash', () => {
    const project = exampleProject();
    symlinkSync('..', join(project, '_kustomize', 'base', 'loop'));
    symlinkSync('self.yaml', join(project, '_kustomize', 'base', 'self.yaml'));
    const result = deploy(project);
    expectRefused(project, result, /_kustomize\/base\/(loop|self\.yaml)/);
  });

  it('a FIFO in the tree is refused instead of hanging the deploy', () => {
    const project = exampleProject();
    expect(spawnSync('mkfifo', [join(project, '_kustomize', 'base', 'pipe.yaml')]).status).toBe(0);
    expectRefused(project, deploy(project), /_kustomize\/base\/pipe\.yaml.*not a regular file/);
  });

  it('a file over the per-file cap (8 MiB) and a tree over the total cap (32 MiB) are refused, naming the file / the tree and the cap', () => {
    const big = exampleProject();
    writeFileSync(join(big, '_kustomize', 'base', 'huge.yaml'), 'x'.repeat(8 * 1024 * 1024 + 1));
    const one = deploy(big);
    expectRefused(big, one, /_kustomize\/base\/huge\.yaml.*8 MiB/);

    const many = exampleProject();
    mkdirSync(join(many, '_kustomize', 'blobs'));
    for (let i = 0; i < 5; i++) writeFileSync(join(many, '_kustomize', 'blobs', `b${i}.yaml`), 'y'.repeat(7 * 1024 * 1024));
    const total = deploy(many);
    expectRefused(many, total, /_kustomize.*32 MiB/);
  });

  it('a symlink that stays inside the kustomize tree is followed; the stored source holds only stageline.yaml and _kustomize/ regular files', () => {
    const project = exampleProject();
    symlinkSync('../../base/deployment.yaml', join(project, '_kustomize', 'overlays', 'dev', 'copy-of-base.yaml'));
    writeFileSync(join(project, 'unrelated.txt'), 'not part of the build');
    const result = deploy(project);
    expect(result.code, result.stderr).toBe(0);
    const stored = filesUnder(join(project, '.stageline', 'store', 'builds', 'hello-service', 'abcdef1234', 'source'));
    expect(stored).toContain('_kustomize/overlays/dev/copy-of-base.yaml');
    expect(stored.every((path) => path === 'stageline.yaml' || path.startsWith('_kustomize/'))).toBe(true);
    expect(readFileSync(join(project, '.stageline', 'store', 'builds', 'hello-service', 'abcdef1234', 'source', '_kustomize', 'overlays', 'dev', 'copy-of-base.yaml'), 'utf8')).toBe(
      readFileSync(join(project, '_kustomize', 'base', 'deployment.yaml'), 'utf8'),
    );
  });

  it('a stageline.yaml that is a symlink out of the project is refused', () => {
    const project = exampleProject();
    const outside = exampleProject();
    spawnSync('rm', [join(project, 'stageline.yaml')]);
    symlinkSync(join(outside, 'stageline.yaml'), join(project, 'stageline.yaml'));
    expectRefused(project, deploy(project), /stageline\.yaml.*outside/);
  });
});

describe('deploy: a kustomize tree at the project root (kustomizeDir: .)', () => {
  it('skips the state folder and dot-env outputs instead of gathering (or refusing) them', () => {
    const project = exampleProject();
    spawnSync('bash', ['-c', 'mv _kustomize/base _kustomize/overlays . && rmdir _kustomize && sed -i "s/kustomizeDir: _kustomize/kustomizeDir: ./" stageline.yaml'], { cwd: project });
    expect(stageline(['dot-env', '--project', project]).code).toBe(0);
    expect(existsSync(join(project, '.env'))).toBe(true);
    const result = deploy(project);
    expect(result.code, result.stderr).toBe(0);
    const stored = filesUnder(join(project, '.stageline', 'store', 'builds', 'hello-service', 'abcdef1234', 'source'));
    expect(stored).toContain('overlays/dev/kustomization.yaml');
    expect(stored.filter((path) => path.startsWith('.stageline/') || path === '.env' || path === '.env_export')).toEqual([]);
    expect(stored.join('\n')).not.toContain(SECRET);
  });
});
