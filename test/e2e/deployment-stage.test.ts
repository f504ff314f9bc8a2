import { afterEach, describe, expect, it } from 'vitest';
import { readRun } from '../../lib/pipeline/workflow/records.js';
import { manifestKey } from '../../lib/pipeline/run-manifests.js';
import { decideAsOperator } from '../../lib/pipeline/approvals/gate.js';
import { FileTaskCallbacks } from '../../lib/adapters/local/file-task-callbacks.js';
import { systemClock } from '../../lib/ports/clock.js';
import { ORGANIZATION, TestProject } from './harness.js';

/**
 * The deployment stage end to end: statemachine/deployment-stage.asl.json executed in-process
 * with the real handlers, local store, file callbacks and stack jobs as child processes.
 */
const projects: TestProject[] = [];
const project = (...args: ConstructorParameters<typeof TestProject>) => {
  const created = new TestProject(...args);
  projects.push(created);
  return created;
};
afterEach(() => {
  for (const created of projects.splice(0)) created.cleanup();
});

const statuses = (run: { tasks: { env: string; status: string }[] }) => run.tasks.map((task) => `${task.env}:${task.status}`);

describe('deploy --local', () => {
  it('promotes in the organization order whatever the overlay names, gates included', async () => {
    const service = project({ '.stageline/organization.yaml': ORGANIZATION() });
    // Overlay directories whose alphabetical order is not the promotion order.
    for (const [from, to] of [['production', 'a-prod'], ['dev', 'b-dev'], ['staging', 'c-staging']]) {
      service.write(`_kustomize/overlays/${to}/kustomization.yaml`, `resources: [../../base]\npatches:\n- path: patch.yaml\n`);
      service.write(`_kustomize/overlays/${to}/patch.yaml`, service.readOverlayPatch(from!));
      service.remove(`_kustomize/overlays/${from}`);
    }
    const { run, started } = await service.deploy({ answer: { kind: 'approve' } });
    expect(started).toBe(true);
    expect(run.status).toBe('SUCCEEDED');
    expect(statuses(run)).toEqual(['app-dev:SUCCEEDED', 'app-staging:SUCCEEDED', 'app-production:SUCCEEDED']);
    expect(run.tasks.map((task) => task.overlay)).toEqual(['b-dev', 'c-staging', 'a-prod']);
    const startTimes = run.tasks.map((task) => Date.parse(task.startedAt!));
    expect([...startTimes].sort((a, b) => a - b)).toEqual(startTimes);
    const deployed = await service.store.get('deployed/acme/app-production/hello-service.yaml');
    expect(deployed?.body).toContain('env: app-production');
    expect(deployed?.body).toContain('$secrets-group/database/password');
  });
});
