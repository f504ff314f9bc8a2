import { describe, expect, it } from 'vitest';
import { createDeploymentTasks } from '../../../lib/pipeline/deployment-tasks.js';
import { formatPlanText, toPlanJson } from '../../../lib/pipeline/plan.js';
import { organization, project, resolve, service } from './harness.js';

describe('plan', () => {
  it('has the documented JSON shape: tasks in order with gates and references, skipped overlays with reasons', () => {
    const fs = project({ production: 'app-production', dev: 'app-dev', staging: 'app-staging', local: 'local' });
    const svc = service('{ deploymentEnvironments: [dev, production] }');
    const resolved = resolve(fs, { service: svc });
    const plan = createDeploymentTasks({ organization: organization(), service: svc, resolved, branch: 'main' });
    const json = toPlanJson({ service: 'hello', organization: 'acme', branch: 'main' }, resolved, plan);
    expect(json).toEqual({
      schemaVersion: 1,
      service: 'hello',
      organization: 'acme',
      branch: 'main',
      mode: 'git',
      tasks: [
        { index: 0, overlay: 'dev', env: 'app-dev', kind: 'KubernetesDeployment', name: 'hello', digest: expect.stringMatching(/^[0-9a-f]{64}$/), gate: null, references: { secrets: [], variables: [] } },
        {
          index: 1,
          overlay: 'production',
          env: 'app-production',
          kind: 'KubernetesDeployment',
          name: 'hello',
          digest: expect.stringMatching(/^[0-9a-f]{64}$/),
          gate: { approvers: ['ops@acme.io', 'lead@acme.io'], minApprovals: 1, timeoutSeconds: 259_200, requiredBy: ['organization'] },
          references: { secrets: [], variables: [] },
        },
      ],
      skipped: [
        { overlay: 'local', env: null, reason: 'local', detail: expect.any(String) },
        { overlay: 'staging', env: 'app-staging', reason: 'filtered', detail: 'not listed in stageline.yaml spec.deploymentEnvironments' },
      ],
      warnings: [],
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    const text = formatPlanText(json);
    expect(text[0]).toBe('Plan for hello (acme) on branch main:');
    expect(text[2]).toMatch(/^ {2}2\. production → app-production {2}KubernetesDeployment\/hello {2}gate: 1 of ops@acme\.io, lead@acme\.io within 3d {2}sha256:[0-9a-f]{12}$/);
    expect(text).toContain('  skipped staging (app-staging) [filtered]: not listed in stageline.yaml spec.deploymentEnvironments');
  });
});
