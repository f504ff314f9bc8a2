import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleProject, STACK_TRACE, stageline } from './hostile-support.js';

const COMMIT = 'abcdef1234';
const stored = (project: string, path: string) => join(project, '.stageline', 'store', 'builds', 'hello-service', COMMIT, 'source', path);
const deploy = (project: string, extra: string[] = []) => stageline(['deploy', '--project', project, '--local', '--approve', '--commit', COMMIT, ...extra]);

describe('a build (service + commit) is immutable once stored', () => {
  it('a repeat with an edited overlay is refused, naming the file and how to make a new build; the stored source is unchanged', () => {
    const project = exampleProject();
    { const first = deploy(project); expect(first.code, first.stderr).toBe(0); }
    const overlay = '_kustomize/overlays/dev/environment.yaml';
    const before = readFileSync(stored(project, overlay), 'utf8');
    writeFileSync(join(project, overlay), `${readFileSync(join(project, overlay), 'utf8')}# edited after the build\n`);

    const repeat = deploy(project);
    expect(repeat.stderr).not.toMatch(STACK_TRACE);
    expect(repeat.code).toBe(1);
    expect(repeat.stderr).toMatch(new RegExp(`^error: build hello-service ${COMMIT} .*${overlay.replace(/\./g, '\\.')}`, 'm'));
    expect(repeat.stderr).toMatch(/^hint: .*--commit/m);
    expect(repeat.stderr).not.toMatch(/nothing new started/);
    expect(readFileSync(stored(project, overlay), 'utf8')).toBe(before);
    const runs = JSON.parse(stageline(['runs', '--project', project, '--json']).stdout) as unknown[];
    expect(runs).toHaveLength(1);
  });

  it('a repeat with an added file is refused and the file is not stored', () => {
    const project = exampleProject();
    { const first = deploy(project); expect(first.code, first.stderr).toBe(0); }
    writeFileSync(join(project, '_kustomize', 'base', 'extra.yaml'), 'kind: Extra\n');
    const repeat = deploy(project);
    expect(repeat.code).toBe(1);
    expect(repeat.stderr).toMatch(/^error: build hello-service abcdef1234 .*_kustomize\/base\/extra\.yaml/m);
    expect(existsSync(stored(project, '_kustomize/base/extra.yaml'))).toBe(false);
  });

  it('the same source again with another image is a new run of the same build (allowed)', () => {
    const project = exampleProject();
    { const first = deploy(project); expect(first.code, first.stderr).toBe(0); }
    const again = deploy(project, ['--image', 'hello:v2']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(stageline(['runs', '--project', project, '--json']).stdout)).toHaveLength(2);
  });

  it('invalid identifiers are refused before anything is written', () => {
    for (const flags of [['--commit', 'not-a-sha'], ['--commit', 'ABCDEF1234'], ['--commit', '../../../etc'], ['--branch', 'evil\u001b[2Jbranch'], ['--branch', 'tab\tbranch']]) {
      const project = exampleProject();
      const result = stageline(['deploy', '--project', project, '--local', '--approve', ...flags]);
      expect(result.code, flags.join(' ')).toBe(1);
      expect(result.stderr).toMatch(/^error: .*(commit|branch) .* is not valid/m);
      expect(result.stderr).not.toContain('\u001b');
      expect(existsSync(join(project, '.stageline', 'store'))).toBe(false);
    }
  });
});
