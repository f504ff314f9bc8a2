import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryArtifactStore } from '../../../../lib/adapters/local/directory-artifact-store.js';
import { BuildImmutableError } from '../../../../lib/pipeline/errors.js';
import { buildSourcePrefix, InvalidBuildError, type BuildEvent } from '../../../../lib/pipeline/workflow/records.js';
import { loadBuildSource, publishBuild } from '../../../../lib/pipeline/workflow/source-tree.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function store() {
  const dir = mkdtempSync(join(tmpdir(), 'stageline-publish-'));
  dirs.push(dir);
  return new DirectoryArtifactStore(dir);
}

const build: BuildEvent = { org: 'acme', service: 'web', commitSha: 'abc1234', branch: 'main', image: 'web:1', triggeredBy: 'dev@acme.io' };
const source = () => new Map([['stageline.yaml', 'kind: Service\n'], ['_kustomize/base/a.yaml', 'a: 1\n']]);

describe('publishBuild', () => {
  it('stores the source and build.json once; the same source again is a repeat', async () => {
    const s = store();
    expect(await publishBuild(s, build, source())).toEqual({ repeated: false });
    expect(await publishBuild(s, { ...build, image: 'web:2' }, source())).toEqual({ repeated: true });
    expect((await loadBuildSource(s, 'web', 'abc1234')).readFile('/source/_kustomize/base/a.yaml')).toBe('a: 1\n');
  });

  it.each([
    ['changed', (files: Map<string, string>) => files.set('_kustomize/base/a.yaml', 'a: 2\n'), '_kustomize/base/a.yaml differs'],
    ['added', (files: Map<string, string>) => files.set('_kustomize/base/b.yaml', 'b: 1\n'), '_kustomize/base/b.yaml is new'],
    ['removed', (files: Map<string, string>) => files.delete('_kustomize/base/a.yaml'), '_kustomize/base/a.yaml is not in this one'],
  ])('a %s file under the same commit is refused, naming it, and nothing changes', async (_what, edit, difference) => {
    const s = store();
    await publishBuild(s, build, source());
    const edited = source();
    edit(edited);
    const error = await publishBuild(s, build, edited).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuildImmutableError);
    expect((error as Error).message).toContain(difference);
    expect(await s.list(buildSourcePrefix('web', 'abc1234'))).toEqual(['builds/web/abc1234/source/_kustomize/base/a.yaml', 'builds/web/abc1234/source/stageline.yaml']);
    expect((await s.get('builds/web/abc1234/source/_kustomize/base/a.yaml'))?.body).toBe('a: 1\n');
  });

  it('an invalid commit is refused before anything is written', async () => {
    const s = store();
    await expect(publishBuild(s, { ...build, commitSha: 'zzz' }, source())).rejects.toBeInstanceOf(InvalidBuildError);
    expect(await s.list('builds/')).toEqual([]);
  });
});
