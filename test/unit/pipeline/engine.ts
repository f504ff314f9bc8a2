import { join } from 'node:path';

/** The example service every engine-dependent test builds. */
export const HELLO_SERVICE = join(import.meta.dirname, '../../../examples/hello-service');

/**
 * Whether the Kustomize engine can build the example overlays yet (it is written concurrently).
 * Tests that need the real engine run with `it.skipIf(!engineReady)`; everything else injects a
 * renderer and does not depend on it.
 */
export const engineReady: boolean = await (async () => {
  try {
    const { buildKustomization } = await import('../../../lib/kustomize/index.js');
    const { DiskFileSystem } = await import('../../../lib/adapters/local/disk-file-system.js');
    const { resources } = buildKustomization(new DiskFileSystem(), join(HELLO_SERVICE, '_kustomize/overlays/production'));
    const metadata = resources[0]?.metadata as { env?: string } | undefined;
    return resources.length === 1 && metadata?.env === 'app-production';
  } catch {
    return false;
  }
})();
