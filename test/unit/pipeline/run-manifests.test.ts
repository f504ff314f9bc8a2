import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../../lib/ports/artifact-store.js';
import { PreconditionFailed } from '../../../lib/ports/artifact-store.js';
import { loadRunManifest, storeRunManifests } from '../../../lib/pipeline/run-manifests.js';
import { project, resolve } from './harness.js';

function memoryStore(): ArtifactStore & { objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return {
    objects,
    get: async (key) => (objects.has(key) ? { body: objects.get(key)!, etag: key } : undefined),
    put: async (key, body, conditions = {}) => {
      if (conditions.ifNoneMatch && objects.has(key)) throw new PreconditionFailed(key, conditions);
      objects.set(key, body);
      return { etag: key };
    },
    list: async () => [...objects.keys()],
    delete: async (key) => void objects.delete(key),
  };
}

describe('run manifests', () => {
  it('stores each manifest once under its digest (a retry is harmless) and loads it back only if the digest matches', async () => {
    const store = memoryStore();
    const { manifests } = resolve(project({ dev: 'app-dev' }));
    const keys = await storeRunManifests(store, 'r1', manifests);
    await storeRunManifests(store, 'r1', manifests);
    expect(keys).toEqual({ dev: `runs/r1/manifests/${manifests[0]!.digest}.yaml` });
    expect(await loadRunManifest(store, 'r1', manifests[0]!.digest)).toBe(manifests[0]!.yaml);
    store.objects.set(keys.dev!, `${manifests[0]!.yaml}# tampered\n`);
    await expect(loadRunManifest(store, 'r1', manifests[0]!.digest)).rejects.toThrow(/differs from the task's digest .*; refusing to deploy it$/);
  });
});
