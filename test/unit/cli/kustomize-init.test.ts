import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kustomizeInitCommand } from '../../../lib/cli/commands/kustomize-init.js';
import { DiskFileSystem } from '../../../lib/adapters/local/disk-file-system.js';
import { captureIo } from '../pipeline/capture-io.js';
import { engineReady, HELLO_SERVICE } from '../pipeline/engine.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stageline-init-'));
  // Not the example's local store: a developer's deploy --local leaves one there.
  await cp(join(HELLO_SERVICE, '.stageline'), join(root, '.stageline'), { recursive: true, filter: (source) => !source.includes(join('.stageline', 'store')) });
  await cp(join(HELLO_SERVICE, 'stageline.yaml'), join(root, 'stageline.yaml'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const base = { platform: 'kubernetes' as const, project: '.' };

async function tree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await tree(join(dir, entry.name), path)));
    else out.push(path);
  }
  return out.sort();
}

describe('stageline kustomize init --new', () => {
  it('writes base and one overlay per organization environment plus local', async () => {
    const io = captureIo(root);
    await kustomizeInitCommand({ ...base, new: true }, io);
    expect(await tree(join(root, '_kustomize'))).toEqual([
      'base/kustomization.yaml',
      'base/resource.yaml',
      ...['app-dev', 'app-production', 'app-staging', 'local'].flatMap((overlay) => [`overlays/${overlay}/kustomization.yaml`, `overlays/${overlay}/patch.yaml`]),
    ]);
    expect(io.stdout[0]).toBe('wrote _kustomize/:');
  });

  it('accepts --envs overlay=environment and refuses an unknown environment', async () => {
    await kustomizeInitCommand({ ...base, new: true, envs: 'dev=app-dev,prod=app-production' }, captureIo(root));
    expect(await readFile(join(root, '_kustomize/overlays/prod/patch.yaml'), 'utf8')).toContain('env: app-production');
    await expect(kustomizeInitCommand({ ...base, new: true, envs: 'qa', force: true }, captureIo(root))).rejects.toThrow(
      '--envs: qa is not an environment of the organization (known: app-dev, app-staging, app-production)',
    );
  });

  it('refuses to overwrite an existing tree without --force, writing nothing', async () => {
    await mkdir(join(root, '_kustomize/base'), { recursive: true });
    await writeFile(join(root, '_kustomize/base/mine.yaml'), 'keep: me\n');
    await expect(kustomizeInitCommand({ ...base, new: true }, captureIo(root))).rejects.toThrow('_kustomize already exists (base/mine.yaml); nothing written');
    expect(await tree(join(root, '_kustomize'))).toEqual(['base/mine.yaml']);
    await kustomizeInitCommand({ ...base, new: true, force: true }, captureIo(root));
    expect(await tree(join(root, '_kustomize'))).toContain('base/resource.yaml');
  });

  it.skipIf(!engineReady)('writes a tree the Kustomize engine builds', async () => {
    const { buildKustomization } = await import('../../../lib/kustomize/index.js');
    await kustomizeInitCommand({ ...base, new: true, platform: 'ecs' }, captureIo(root));
    const { resources } = buildKustomization(new DiskFileSystem(), join(root, '_kustomize/overlays/app-production'));
    expect(resources).toEqual([expect.objectContaining({ kind: 'AwsEcsService', metadata: { name: 'hello-service', env: 'app-production' } })]);
  });
});

describe('stageline kustomize init <kind> <name>', () => {
  it('seeds base and overlays from the manifests deployed in the store', async () => {
    const manifest = (env: string, replicas: number) =>
      `apiVersion: kubernetes.openmcf.org/v1\nkind: KubernetesDeployment\nmetadata:\n  env: ${env}\n  name: hello-service\nspec:\n  availability:\n    minReplicas: ${replicas}\n  container:\n    app:\n      image: registry/hello:1\n`;
    for (const [env, replicas] of [['app-dev', 1], ['app-production', 3]] as const) {
      await mkdir(join(root, '.stageline/store/deployed/acme', env), { recursive: true });
      await writeFile(join(root, '.stageline/store/deployed/acme', env, 'hello-service.yaml'), manifest(env, replicas));
    }
    await kustomizeInitCommand({ ...base, kind: 'KubernetesDeployment', name: 'hello-service' }, captureIo(root));
    expect(await tree(join(root, '_kustomize'))).toEqual([
      'base/kustomization.yaml',
      'base/resource.yaml',
      'overlays/app-dev/kustomization.yaml',
      'overlays/app-dev/patch.yaml',
      'overlays/app-production/kustomization.yaml',
      'overlays/app-production/patch.yaml',
    ]);
    expect(await readFile(join(root, '_kustomize/overlays/app-production/patch.yaml'), 'utf8')).toContain('minReplicas: 3');
  });

  it('says where it looked when nothing is deployed', async () => {
    await expect(kustomizeInitCommand({ ...base, kind: 'KubernetesDeployment', name: 'nope' }, captureIo(root))).rejects.toThrow(
      'no KubernetesDeployment named nope in .stageline/store/deployed/acme/*/*.yaml',
    );
  });

  it('needs --new or both <kind> and <name>', async () => {
    await expect(kustomizeInitCommand({ ...base }, captureIo(root))).rejects.toThrow('kustomize init needs --new, or the <kind> and <name> of a deployed resource');
  });
});
