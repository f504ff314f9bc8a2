import { afterEach, describe, expect, it } from 'vitest';
import { listRuns } from '../../lib/pipeline/workflow/records.js';
import { ORGANIZATION, TestProject } from './harness.js';

/** A local run must never outlive its steps or leave the terminal hanging. */
const projects: TestProject[] = [];
afterEach(() => {
  for (const created of projects.splice(0)) created.cleanup();
});

const slowProvisioner = (timeout?: string) =>
  `    ${timeout ? `timeout: ${timeout}\n    ` : ''}provisioners:\n      KubernetesDeployment:\n        apply: "sleep 30"\n`;

describe('deploy --local stops cleanly', () => {
  it('stops a stack job that outlives its step (timeout) instead of waiting for it', async () => {
    const service = new TestProject({ '.stageline/organization.yaml': ORGANIZATION({ provisioners: slowProvisioner('2s') }) });
    projects.push(service);
    const started = Date.now();
    const { run } = await service.deploy();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.status).toBe('FAILED');
    expect(run.tasks.map((task) => task.status)).toEqual(['FAILED', 'CANCELLED', 'CANCELLED']);
    expect(service.output.join('\n')).toMatch(/stopped 1 stack job\(s\) still running after their step ended/);
  });

  it('Ctrl-C (abort) stops the run and its stack jobs, and records the run CANCELLED', async () => {
    const service = new TestProject({ '.stageline/organization.yaml': ORGANIZATION({ provisioners: slowProvisioner() }) });
    projects.push(service);
    const interrupted = new AbortController();
    const deployment = service.deploy({ signal: interrupted.signal });
    let applying = false;
    for (const deadline = Date.now() + 15_000; !applying && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
      const [run] = await listRuns(service.store).catch(() => []);
      applying = run?.tasks[0]?.status === 'APPLYING';
    }
    expect(applying).toBe(true);
    const stoppedAt = Date.now();
    interrupted.abort();
    const { run } = await deployment;
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
    expect(run.status).toBe('CANCELLED');
    expect(run.tasks.map((task) => task.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    expect(run.failure?.cause).toBe('interrupted by the operator (Ctrl-C)');
  });

  // Regression: aws-local-stepfunctions ran the Map's queued iterations after one failed, so a
  // later environment could still be approved and provisioned after the run had failed.
  it('never starts a later environment after an earlier one failed, even after the run returned', async () => {
    const failStaging = `    provisioners:\n      KubernetesDeployment:\n        apply: "grep -q 'env: app-staging' {{ .ManifestFile }} && exit 3 || echo applied"\n`;
    const service = new TestProject({ '.stageline/organization.yaml': ORGANIZATION({ provisioners: failStaging }) });
    projects.push(service);
    const { run } = await service.deploy({ answer: { kind: 'approve' } });
    expect(run.tasks.map((task) => task.status)).toEqual(['SUCCEEDED', 'FAILED', 'CANCELLED']);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const [later] = await listRuns(service.store);
    expect(later!.tasks[2]).toMatchObject({ status: 'CANCELLED' });
    expect(later!.tasks[2]!.startedAt).toBeUndefined();
    expect(later!.tasks[2]!.approvalId).toBeUndefined();
    expect(await service.store.get('deployed/acme/app-production/hello-service.yaml')).toBeUndefined();
  });
});
