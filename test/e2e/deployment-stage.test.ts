import { afterEach, describe, expect, it } from 'vitest';
import { readRun } from '../../lib/pipeline/workflow/records.js';
import { manifestKey } from '../../lib/pipeline/run-manifests.js';
import { decideAsOperator } from '../../lib/pipeline/approvals/gate.js';
import { FileTaskCallbacks } from '../../lib/adapters/local/file-task-callbacks.js';
import { systemClock } from '../../lib/ports/clock.js';
import { cancelCommand } from '../../lib/cli/commands/runs.js';
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

  it('a stack-job failure at environment 2 of 3 cancels environment 3, which is never provisioned', async () => {
    const failStaging = `    provisioners:
      KubernetesDeployment:
        apply: "grep -q 'env: app-staging' {{ .ManifestFile }} && exit 3 || echo applied"
`;
    const service = project({ '.stageline/organization.yaml': ORGANIZATION({ provisioners: failStaging }) });
    const { run } = await service.deploy();
    expect(run.status).toBe('FAILED');
    expect(statuses(run)).toEqual(['app-dev:SUCCEEDED', 'app-staging:FAILED', 'app-production:CANCELLED']);
    expect(run.tasks[1]!.detail).toContain('exited with code 3');
    expect(run.failure?.env).toBe('app-staging');
    expect(run.tasks[2]!.startedAt).toBeUndefined();
    expect(await service.store.get('deployed/acme/app-production/hello-service.yaml')).toBeUndefined();
    expect(await service.store.get('deployed/acme/app-staging/hello-service.yaml')).toBeUndefined();
  });

  it('a rejected gate stops the run before production', async () => {
    const service = project({ '.stageline/organization.yaml': ORGANIZATION() });
    const { run } = await service.deploy({ answer: { kind: 'reject', reason: 'image not signed' } });
    expect(run.status).toBe('FAILED');
    expect(statuses(run)).toEqual(['app-dev:SUCCEEDED', 'app-staging:SUCCEEDED', 'app-production:REJECTED']);
    expect(run.tasks[2]!.detail).toContain('image not signed');
    expect(await service.store.get('deployed/acme/app-production/hello-service.yaml')).toBeUndefined();
  });

  it('a gate nobody answers times out', async () => {
    const service = project({ '.stageline/organization.yaml': ORGANIZATION({ approvalTimeout: '1s' }) });
    const { run } = await service.deploy({ answer: { kind: 'wait' } });
    expect(statuses(run)).toEqual(['app-dev:SUCCEEDED', 'app-staging:SUCCEEDED', 'app-production:TIMED_OUT']);
    expect(run.status).toBe('FAILED');
  });

  it('a repeated build event starts nothing new', async () => {
    const service = project({ '.stageline/organization.yaml': ORGANIZATION() });
    const first = await service.deploy({ build: { commitSha: 'abc1234def' } });
    const second = await service.deploy({ build: { commitSha: 'abc1234def' } });
    expect(first.started).toBe(true);
    expect(second.started).toBe(false);
    expect(second.run.runId).toBe(first.run.runId);
    expect(second.events).toEqual([]);
    const runs = [...service.storeFiles().keys()].filter((key) => key.endsWith('/run.json'));
    expect(runs).toHaveLength(1);
  });

  it('a newer run of the same branch supersedes one waiting at a gate, at once', async () => {
    const service = project({ '.stageline/organization.yaml': ORGANIZATION() });
    const older = service.deploy({ answer: { kind: 'wait' }, build: { commitSha: 'aaaaaaa1' } });
    await until(async () => (await service.runWaitingAtGate()) !== undefined);
    const newer = await service.deploy({ answer: { kind: 'approve' }, build: { commitSha: 'bbbbbbb2' } });
    const { run: olderRun } = await older;
    expect(newer.superseded).toEqual([olderRun.runId]);
    expect(olderRun.status).toBe('SUPERSEDED');
    expect(olderRun.supersededBy).toBe(newer.run.runId);
    expect(statuses(olderRun)).toEqual(['app-dev:SUCCEEDED', 'app-staging:SUCCEEDED', 'app-production:SUPERSEDED']);
    expect(newer.run.status).toBe('SUCCEEDED');
  });

  it('refuses a manifest whose sha256 differs from the task digest', async () => {
    const service = project({ '.stageline/organization.yaml': ORGANIZATION() });
    const deployment = service.deploy({ answer: { kind: 'wait' } });
    const runId = await until(() => service.runWaitingAtGate());
    const run = (await readRun(service.store, runId))!;
    const production = run.tasks[2]!;
    const key = manifestKey(runId, production.digest);
    const stored = (await service.store.get(key))!.body;
    await service.store.put(key, stored.replace('minReplicas: 3', 'minReplicas: 30'));
    await decideAsOperator({ store: service.store, callbacks: new FileTaskCallbacks(service.store), clock: systemClock }, {
      approvalId: production.approvalId!, approver: 'operator@acme.io', decision: 'approve', via: 'operator',
    });
    const { run: finished } = await deployment;
    expect(statuses(finished)).toEqual(['app-dev:SUCCEEDED', 'app-staging:SUCCEEDED', 'app-production:FAILED']);
    expect(finished.tasks[2]!.detail).toMatch(/sha256/);
    expect(await service.store.get('deployed/acme/app-production/hello-service.yaml')).toBeUndefined();
  });

  it('fails a stack job whose reference does not resolve, before anything is applied', async () => {
    const service = project({ '.stageline/organization.yaml': ORGANIZATION(), '.stageline/secrets.yaml': 'other:\n  key: value\n' });
    const { run } = await service.deploy();
    expect(statuses(run)).toEqual(['app-dev:SUCCEEDED', 'app-staging:SUCCEEDED', 'app-production:FAILED']);
    expect(run.tasks[2]!.detail).toContain('database/password');
    expect(await service.store.get('deployed/acme/app-production/hello-service.yaml')).toBeUndefined();
  });

  it('never lets a secret value out of the runner: not in the store, the execution history or any output line', async () => {
    const canary = 'canary-5d41402abc4b2a76b9719d911017c592';
    const service = project({
      '.stageline/organization.yaml': ORGANIZATION({ provisioners: `    provisioners:\n      KubernetesDeployment:\n        preview: "cat {{ .ManifestFile }}"\n        apply: "grep -c password {{ .ManifestFile }} || true"\n` }),
      '.stageline/secrets.yaml': `database:\n  password: ${canary}\n`,
    });
    const { run, events } = await service.deploy();
    expect(run.status).toBe('SUCCEEDED');
    // The provisioner did see the value (its preview printed the resolved manifest, redacted).
    expect(service.output.join('\n')).toContain('DATABASE_PASSWORD: ***');
    for (const [file, content] of service.storeFiles()) expect(content, file).not.toContain(canary);
    expect(JSON.stringify(events)).not.toContain(canary);
    for (const line of service.output) expect(line).not.toContain(canary);
  });
});

describe('stageline cancel', () => {
  it('stops a run waiting at a gate at once; the gate no longer takes decisions', async () => {
    const service = project({ '.stageline/organization.yaml': ORGANIZATION() });
    const deployment = service.deploy({ answer: { kind: 'wait' } });
    const runId = await until(() => service.runWaitingAtGate());
    await cancelCommand({ project: service.dir, runId }, service.io);
    const { run } = await deployment;
    expect(run.status).toBe('CANCELLED');
    expect(statuses(run)).toEqual(['app-dev:SUCCEEDED', 'app-staging:SUCCEEDED', 'app-production:CANCELLED']);
    const callbacks = new FileTaskCallbacks(service.store);
    await expect(
      decideAsOperator({ store: service.store, callbacks, clock: systemClock }, { approvalId: run.tasks[2]!.approvalId!, approver: 'ops@acme.io', decision: 'approve', via: 'operator' }),
    ).rejects.toThrow(/closed/);
    await expect(cancelCommand({ project: service.dir, runId }, service.io)).rejects.toThrow(/already finished/);
  });
});

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
