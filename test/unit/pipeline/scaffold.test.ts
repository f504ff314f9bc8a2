import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MemoryFileSystem } from '../../../lib/kustomize/memory-file-system.js';
import { commonPart, difference, findDeployedResource, scaffoldNewTree, seedFromDeployed, type ScaffoldFiles } from '../../../lib/pipeline/scaffold.js';
import type { ArtifactStore } from '../../../lib/ports/artifact-store.js';
import { plan, service } from './harness.js';

function inProject(files: ScaffoldFiles): MemoryFileSystem {
  return new MemoryFileSystem(Object.fromEntries(Object.entries(files).map(([path, content]) => [`_kustomize/${path}`, content])));
}

describe('kustomize init --new', () => {
  it.each(['kubernetes', 'ecs'] as const)('writes a %s tree that resolves into one task per environment plus a local overlay', (platform) => {
    const files = scaffoldNewTree({ service: 'hello', platform, overlays: [{ overlay: 'dev', env: 'app-dev' }, { overlay: 'app-production', env: 'app-production' }] });
    expect(Object.keys(files).sort()).toEqual([
      'base/kustomization.yaml',
      'base/resource.yaml',
      'overlays/app-production/kustomization.yaml',
      'overlays/app-production/patch.yaml',
      'overlays/dev/kustomization.yaml',
      'overlays/dev/patch.yaml',
      'overlays/local/kustomization.yaml',
      'overlays/local/patch.yaml',
    ]);
    const result = plan(inProject(files), { service: service() });
    expect(result.tasks.map((task) => [task.overlay, task.env, task.kind])).toEqual([
      ['dev', 'app-dev', platform === 'ecs' ? 'AwsEcsService' : 'KubernetesDeployment'],
      ['app-production', 'app-production', platform === 'ecs' ? 'AwsEcsService' : 'KubernetesDeployment'],
    ]);
    expect(parse(files['overlays/local/patch.yaml']!)).toMatchObject({ metadata: { name: 'hello', env: 'local' } });
  });
});

describe('kustomize init <kind> <name>', () => {
  const deployed = (env: string, replicas: number, extra: Record<string, unknown> = {}) => ({
    env,
    key: `deployed/acme/${env}/hello.yaml`,
    manifest: {
      apiVersion: 'kubernetes.openmcf.org/v1',
      kind: 'KubernetesDeployment',
      metadata: { name: 'hello', env },
      spec: { container: { app: { image: `registry/hello:${env}`, env: { variables: { PORT: '8080', ...extra } } } }, availability: { minReplicas: replicas } },
    },
  });

  it('puts the common part in base and the per-environment differences in each overlay patch', () => {
    const files = seedFromDeployed([deployed('app-dev', 1, { DEBUG: 'true' }), deployed('app-production', 3)]);
    expect(parse(files['base/resource.yaml']!)).toEqual({
      apiVersion: 'kubernetes.openmcf.org/v1',
      kind: 'KubernetesDeployment',
      metadata: { name: 'hello' },
      spec: { container: { app: { image: '', env: { variables: { PORT: '8080' } } } }, availability: {} },
    });
    expect(parse(files['overlays/app-dev/patch.yaml']!)).toEqual({
      apiVersion: 'kubernetes.openmcf.org/v1',
      kind: 'KubernetesDeployment',
      metadata: { name: 'hello', env: 'app-dev' },
      spec: { container: { app: { env: { variables: { DEBUG: 'true' } } } }, availability: { minReplicas: 1 } },
    });
    expect(parse(files['overlays/app-production/patch.yaml']!)).toEqual({
      apiVersion: 'kubernetes.openmcf.org/v1',
      kind: 'KubernetesDeployment',
      metadata: { name: 'hello', env: 'app-production' },
      spec: { availability: { minReplicas: 3 } },
    });
    // The seeded tree rebuilds each deployed manifest (image aside, which the pipeline fills).
    const result = plan(inProject(files));
    expect(result.tasks.map((task) => task.env)).toEqual(['app-dev', 'app-production']);
  });

  it('finds the deployed manifests of a kind and name in the store', async () => {
    const objects: Record<string, string> = {
      'deployed/acme/app-dev/hello.yaml': 'apiVersion: v1\nkind: KubernetesDeployment\nmetadata: { name: hello, env: app-dev }\n',
      'deployed/acme/app-dev/other.yaml': 'apiVersion: v1\nkind: KubernetesDeployment\nmetadata: { name: other, env: app-dev }\n',
      'deployed/acme/app-staging/hello.yaml': 'apiVersion: v1\nkind: AwsEcsService\nmetadata: { name: hello, env: app-staging }\n',
      'deployed/acme/app-production/hello.yaml': 'apiVersion: v1\nkind: KubernetesDeployment\nmetadata: { name: hello, env: app-production }\n',
    };
    const store: ArtifactStore = {
      get: async (key) => (objects[key] ? { body: objects[key]!, etag: 'e' } : undefined),
      put: async () => ({ etag: 'e' }),
      list: async (prefix) => Object.keys(objects).filter((key) => key.startsWith(prefix)).sort(),
      delete: async () => undefined,
    };
    expect((await findDeployedResource(store, 'acme', 'KubernetesDeployment', 'hello')).map((item) => item.env)).toEqual(['app-dev', 'app-production']);
  });

  it('intersects maps and keeps lists and scalars only when equal', () => {
    expect(commonPart([{ a: 1, b: [1, 2], c: { d: 1, e: 2 } }, { a: 1, b: [1], c: { d: 1, e: 3 } }])).toEqual({ a: 1, c: { d: 1 } });
    expect(difference({ a: 1, b: [1], c: { d: 1, e: 3 } }, { a: 1, c: { d: 1 } })).toEqual({ b: [1], c: { e: 3 } });
  });
});
