import { afterEach, describe, expect, it } from 'vitest';
import { listRuns, readRun, type RunRecord } from '../../lib/pipeline/workflow/records.js';
import { manifestKey } from '../../lib/pipeline/run-manifests.js';
import { decideAsOperator } from '../../lib/pipeline/approvals/gate.js';
import { FileTaskCallbacks } from '../../lib/adapters/local/file-task-callbacks.js';
import { systemClock } from '../../lib/ports/clock.js';
import { cancelCommand, runsCommand, statusCommand } from '../../lib/cli/commands/runs.js';
import { deployCommand } from '../../lib/cli/commands/deploy.js';
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

  it('a gate nobody may approve (separation of duties) fails at once instead of waiting for its timeout', async () => {
    const organization = ORGANIZATION({ approvalTimeout: '20s' }).replace('minApprovals: 1', 'minApprovals: 2');
    const service = project({ '.stageline/organization.yaml': organization });
    const { run } = await service.deploy({ answer: { kind: 'wait' }, build: { triggeredBy: 'ops@acme.io' } });
    expect(statuses(run)).toEqual(['app-dev:SUCCEEDED', 'app-staging:SUCCEEDED', 'app-production:FAILED']);
    expect(run.status).toBe('FAILED');
    expect(run.failure).toMatchObject({ env: 'app-production', error: 'Stageline.GateUnsatisfiable' });
    expect(run.tasks[2]!.detail).toContain('separation of duties');
    expect(run.tasks[2]!.approvalId).toBeUndefined();
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

  it('fails a run whose production reference does not resolve at its first environment, before anything is applied anywhere', async () => {
    const service = project({ '.stageline/organization.yaml': ORGANIZATION(), '.stageline/secrets.yaml': 'other:\n  key: value\n' });
    const { run } = await service.deploy();
    expect(statuses(run)).toEqual(['app-dev:FAILED', 'app-staging:CANCELLED', 'app-production:CANCELLED']);
    expect(run.tasks[0]!.detail).toContain('app-production secret database/password');
    for (const env of ['app-dev', 'app-staging', 'app-production']) expect(await service.store.get(`deployed/acme/${env}/hello-service.yaml`)).toBeUndefined();
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

describe('concurrency: queue', () => {
  const queueService = () => {
    const service = project({ '.stageline/organization.yaml': ORGANIZATION() });
    service.write('stageline.yaml', service.readFile('stageline.yaml').replace('concurrency: supersede', 'concurrency: queue'));
    return service;
  };
  const operatorDeps = (service: TestProject) => ({ store: service.store, callbacks: new FileTaskCallbacks(service.store), clock: systemClock });
  /** Approves the production gate of `runId` once it waits there. */
  const approveWhenWaiting = async (service: TestProject, runId: string) => {
    const approvalId = await until(async () => (await readRun(service.store, runId))?.tasks.find((task) => task.status === 'WAITING_APPROVAL')?.approvalId);
    await decideAsOperator(operatorDeps(service), { approvalId, approver: 'operator@acme.io', decision: 'approve', via: 'operator' });
  };
  const files = (service: TestProject, runId: string) => [...service.storeFiles().keys()].filter((key) => key.startsWith(`runs/${runId}/`));
  const lastFinish = (run: RunRecord) => Math.max(...run.tasks.map((task) => Date.parse(task.finishedAt!)));
  const firstStart = (run: RunRecord) => Math.min(...run.tasks.map((task) => Date.parse(task.startedAt!)));

  it('runs of one branch wait for each other and start one after another, oldest first', { timeout: 90_000 }, async () => {
    const service = queueService();
    // Run A waits at the production gate; its process runs every queued run after it.
    const a = service.deploy({ answer: { kind: 'wait' }, build: { commitSha: 'aaaaaaa1' } });
    const runA = await until(() => service.runWaitingAtGate());

    const b = await service.deploy({ answer: { kind: 'approve' }, build: { commitSha: 'bbbbbbb2' } });
    expect(b).toMatchObject({ started: true, queued: true, queuedBehind: runA, superseded: [], events: [] });
    expect(b.run).toMatchObject({ status: 'QUEUED', queuedBehind: runA, tasks: [] });
    // `stageline deploy --local` of a queued build: says behind which run, prints the state, exits 0.
    service.output.length = 0;
    await deployCommand({ project: service.dir, local: true, approve: true, commit: 'ccccccc3', triggeredBy: 'dev@acme.io' }, service.io);
    const c = { run: (await listRuns(service.store)).find((run) => run.build.commitSha === 'ccccccc3')! };
    expect(c.run).toMatchObject({ status: 'QUEUED', queuedBehind: b.run.runId });
    expect(service.output).toContain(`queued behind ${b.run.runId}: it starts when that run finishes`);
    expect(service.output).toContain(`run ${c.run.runId}: QUEUED`);

    // A queued run that is cancelled never starts.
    const d = await service.deploy({ answer: { kind: 'approve' }, build: { commitSha: 'ddddddd4' } });
    expect(d.run.status).toBe('QUEUED');
    await cancelCommand({ project: service.dir, runId: d.run.runId }, service.io);
    expect((await readRun(service.store, d.run.runId))!.status).toBe('CANCELLED');
    expect(service.output).toContain(`${d.run.runId} cancelled while queued: it never started`);

    // A repeated event for a queued build starts nothing and changes nothing.
    const queuedRecord = (await service.store.get(`runs/${b.run.runId}/run.json`))!.body;
    const repeated = await service.deploy({ answer: { kind: 'approve' }, build: { commitSha: 'bbbbbbb2' } });
    expect(repeated).toMatchObject({ started: false, queued: false, events: [] });
    expect(repeated.run.runId).toBe(b.run.runId);
    expect((await service.store.get(`runs/${b.run.runId}/run.json`))!.body).toBe(queuedRecord);

    // While A waits, B's environments are untouched: nothing but its run.json exists.
    // (and its events: the run was created QUEUED).
    const withoutEvents = (runId: string) => files(service, runId).filter((key) => !key.startsWith(`runs/${runId}/events/`));
    expect(withoutEvents(b.run.runId)).toEqual([`runs/${b.run.runId}/run.json`]);
    expect(withoutEvents(c.run.runId)).toEqual([`runs/${c.run.runId}/run.json`]);
    service.output.length = 0;
    await runsCommand({ project: service.dir }, service.io);
    expect(service.output.find((line) => line.includes(`  ${b.run.runId}  `))).toMatch(new RegExp(`QUEUED .*queued behind ${runA}`));
    service.output.length = 0;
    await statusCommand({ project: service.dir, runId: c.run.runId }, service.io);
    expect(service.output[0]).toBe(`run ${c.run.runId}: QUEUED`);
    expect(service.output.join('\n')).toContain(`queued behind ${b.run.runId}`);

    // Approving A lets A finish; B starts (in A's process), then C after B.
    await approveWhenWaiting(service, runA);
    await approveWhenWaiting(service, b.run.runId);
    await approveWhenWaiting(service, c.run.runId);
    const { run: finishedA } = await a;

    const runs = new Map((await listRuns(service.store)).map((run) => [run.runId, run]));
    const [runB, runC, runD] = [runs.get(b.run.runId)!, runs.get(c.run.runId)!, runs.get(d.run.runId)!];
    for (const run of [finishedA, runB, runC]) {
      expect(run.status, run.runId).toBe('SUCCEEDED');
      expect(statuses(run)).toEqual(['app-dev:SUCCEEDED', 'app-staging:SUCCEEDED', 'app-production:SUCCEEDED']);
    }
    expect(firstStart(runB)).toBeGreaterThanOrEqual(lastFinish(finishedA));
    expect(firstStart(runC)).toBeGreaterThanOrEqual(lastFinish(runB));
    expect(runD).toMatchObject({ status: 'CANCELLED', tasks: [] });
    expect(withoutEvents(d.run.runId).sort()).toEqual([`runs/${d.run.runId}/cancel`, `runs/${d.run.runId}/run.json`]);
    // The last run deployed is C's build, everywhere.
    const production = await service.store.get('deployed/acme/app-production/hello-service.yaml');
    expect(production?.body).toContain('hello-service:ccccccc3');
  });

  it('a queued run starts when the run before it is cancelled (Cancel remaining environments)', { timeout: 60_000 }, async () => {
    const service = queueService();
    const first = service.deploy({ answer: { kind: 'wait' }, build: { commitSha: 'eeeeeee5' } });
    const runE = await until(() => service.runWaitingAtGate());
    const queued = await service.deploy({ answer: { kind: 'approve' }, build: { commitSha: 'fffffff6' } });
    expect(queued.queued).toBe(true);
    // Cancelling the running run ends it (Cancel remaining environments), which starts the queued one.
    await cancelCommand({ project: service.dir, runId: runE }, service.io);
    await approveWhenWaiting(service, queued.run.runId);
    const { run } = await first;
    expect(run.status).toBe('CANCELLED');
    expect((await readRun(service.store, queued.run.runId))!.status).toBe('SUCCEEDED');
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
