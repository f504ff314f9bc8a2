import { describe, expect, it } from 'vitest';
import { buildKustomization, MemoryFileSystem } from '../../../../lib/kustomize/index.js';

/** Kustomize's "root only" load restriction, in the harness style: write these files, build, expect. */
const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n';

describe('load restrictor', () => {
  it('refuses a patch file outside the kustomization root', () => {
    const fs = new MemoryFileSystem({
      '/shared/patch.yaml': deployment,
      '/app/deployment.yaml': deployment,
      '/app/kustomization.yaml': 'resources: [deployment.yaml]\npatches:\n- path: ../shared/patch.yaml\n',
    });
    expect(() => buildKustomization(fs, '/app')).toThrow("security; file '/shared/patch.yaml' is not in or below '/app'");
  });

  it('refuses a symlink inside the root that points outside it', () => {
    const fs = new MemoryFileSystem(
      {
        '/secret/patch.yaml': deployment,
        '/app/deployment.yaml': deployment,
        '/app/kustomization.yaml': 'resources: [deployment.yaml]\npatches:\n- path: innocent.yaml\n',
      },
      { '/app/innocent.yaml': '../secret/patch.yaml' },
    );
    expect(() => buildKustomization(fs, '/app')).toThrow("security; file '/app/innocent.yaml' is not in or below '/app'");
  });

  it('follows a symlink that stays inside the root', () => {
    const fs = new MemoryFileSystem(
      { '/app/real/deployment.yaml': deployment, '/app/kustomization.yaml': 'resources: [linked.yaml]\n' },
      { '/app/linked.yaml': 'real/deployment.yaml' },
    );
    expect(buildKustomization(fs, '/app').yaml).toBe('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n');
  });

  it('reaches other directories only as kustomizations, and refuses cycles', () => {
    const fs = new MemoryFileSystem({
      '/a/kustomization.yaml': 'resources: [../b]\n',
      '/b/kustomization.yaml': 'resources: [../a]\n',
    });
    expect(() => buildKustomization(fs, '/a')).toThrow("cycle detected: candidate root '/a' contains visited root '/a'");
  });
});
