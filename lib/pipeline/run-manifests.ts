import type { ArtifactStore } from '../ports/artifact-store.js';
import { isPreconditionFailed } from '../ports/artifact-store.js';
import { ManifestError } from './errors.js';
import { sha256Hex } from './manifest.js';
import type { ResolvedManifest } from './resolve-manifests.js';

/** `runs/<runId>/manifests/<sha256>.yaml`: where a run's manifests live (immutable, content-addressed). */
export function manifestKey(runId: string, digest: string): string {
  return `runs/${runId}/manifests/${digest}.yaml`;
}

/**
 * Stores each manifest once under its digest (create-if-absent: a retried step finds it there and
 * moves on). Returns the keys by overlay.
 */
export async function storeRunManifests(store: ArtifactStore, runId: string, manifests: readonly ResolvedManifest[]): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for (const manifest of manifests) {
    const key = manifestKey(runId, manifest.digest);
    try {
      await store.put(key, manifest.yaml, { ifNoneMatch: '*' });
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
    keys[manifest.overlay] = key;
  }
  return keys;
}

/** Reads a stored manifest and refuses it unless its sha256 is `digest` (promotion is byte-for-byte). */
export async function loadRunManifest(store: ArtifactStore, runId: string, digest: string): Promise<string> {
  const key = manifestKey(runId, digest);
  const object = await store.get(key);
  if (!object) throw new ManifestError(`${key}: the run's manifest is missing from the store`);
  const actual = sha256Hex(object.body);
  if (actual !== digest) throw new ManifestError(`${key}: content sha256 ${actual} differs from the task's digest ${digest}; refusing to deploy it`);
  return object.body;
}
