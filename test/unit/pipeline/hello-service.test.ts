import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DiskFileSystem } from '../../../lib/adapters/local/disk-file-system.js';
import { parseOrganization } from '../../../lib/pipeline/config/organization.js';
import { parseService } from '../../../lib/pipeline/config/service.js';
import { createDeploymentTasks } from '../../../lib/pipeline/deployment-tasks.js';
import { resolveManifests } from '../../../lib/pipeline/resolve-manifests.js';
import { BUILD } from './harness.js';
import { engineReady, HELLO_SERVICE } from './engine.js';

/** examples/hello-service through the real Kustomize engine (skipped until the engine can build it). */
describe('examples/hello-service with the Kustomize engine', () => {
  it.skipIf(!engineReady)('resolves dev, staging and production in promotion order; production gated; image injected', async () => {
    const { buildKustomization } = await import('../../../lib/kustomize/index.js');
    const fs = new DiskFileSystem();
    const organization = parseOrganization(readFileSync(join(HELLO_SERVICE, '.stageline/organization.yaml'), 'utf8'), 'organization.yaml');
    const service = parseService(readFileSync(join(HELLO_SERVICE, 'stageline.yaml'), 'utf8'), 'stageline.yaml');
    const resolved = resolveManifests({ organization, service, build: BUILD, fs, projectDir: HELLO_SERVICE, renderOverlay: (dir) => buildKustomization(fs, dir).resources });
    const plan = createDeploymentTasks({ organization, service, resolved, branch: 'main' });
    expect(plan.tasks.map((task) => [task.overlay, task.env, task.gate === null])).toEqual([
      ['dev', 'app-dev', true],
      ['staging', 'app-staging', true],
      ['production', 'app-production', false],
    ]);
    expect(plan.skipped.map((skip) => skip.reason)).toEqual(['local']);
    const production = resolved.manifests.find((manifest) => manifest.overlay === 'production')!;
    expect(parse(production.yaml).spec.container.app.image).toBe(BUILD.image);
    expect(parse(production.yaml).spec.availability.minReplicas).toBe(3);
    expect(production.references).toEqual({ secrets: ['database/password'], variables: ['observability/log-level'] });
  });
});
