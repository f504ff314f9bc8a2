import { describe, expect, it } from 'vitest';
import { RecordProvisioner } from '../../../../lib/adapters/local/record-provisioner.js';
import { canonicalizeManifest } from '../../../../lib/pipeline/manifest.js';
import { deployedDiffKey, deployedKey, environmentLockKey, outputsKey } from '../../../../lib/pipeline/stack-job/keys.js';
import type { ArtifactStore } from '../../../../lib/ports/artifact-store.js';
import type { Provisioner } from '../../../../lib/ports/provisioner.js';
import { WorkflowErrors } from '../../../../lib/ports/task-callbacks.js';
import { CANARY, ENV, fakeProvisioner, helloManifest, jobFixture, leaks, memorySecrets, NOW, ORG, recordingCallbacks, SERVICE, TOKEN } from './harness.js';

const DEPLOYED = deployedKey(ORG, ENV, SERVICE);
const OUTPUTS = outputsKey(ORG, ENV, 'KubernetesDeployment', 'hello');
const LOCK = environmentLockKey(ORG, ENV, SERVICE);

/** The store, recording `get <key>` and `put <key>` into `events` (shared with the callbacks, to see the order). */
function recordingStore(inner: ArtifactStore, events: string[]): ArtifactStore {
  return {
    get: async (key) => (events.push(`get ${key}`), inner.get(key)),
    put: async (key, body, options) => (events.push(`put ${key}`), inner.put(key, body, options)),
    delete: async (key) => (events.push(`delete ${key}`), inner.delete(key)),
    list: async (prefix) => (events.push(`list ${prefix}`), inner.list(prefix)),
  } as ArtifactStore;
}

describe('runStackJob: success', () => {
  it('records the stored manifest as deployed, writes the outputs, marks the task SUCCEEDED and reports success', async () => {
    // Prepare
    const job = await jobFixture();
    const provisioner = fakeProvisioner();

    // Act
    const report = await job.run({ provisionerFor: () => provisioner });

    // Assess
    expect(report).toEqual({ outcome: 'succeeded', detail: 'done' });
    const objects = await job.objects();
    expect(objects[DEPLOYED]).toBe(job.storedManifest);
    expect(JSON.parse(objects[OUTPUTS]!)).toEqual({ url: 'https://hello.example' });
    expect(await job.task()).toMatchObject({ status: 'SUCCEEDED', finishedAt: NOW, detail: 'done' });
    expect(job.callbacks.calls).toEqual([
      { method: 'heartbeat', args: [TOKEN] }, // the step is still open: go on
      { method: 'succeed', args: [TOKEN, { summary: 'done' }] },
    ]);
  });

  it('hands the provisioner the stored manifest and the manifest with every reference resolved', async () => {
    const job = await jobFixture();
    const provisioner = fakeProvisioner();
    await job.run({ provisionerFor: () => provisioner });
    const [provisioned] = provisioner.jobs;
    expect(provisioned).toMatchObject({ org: ORG, service: SERVICE, env: ENV, kind: 'KubernetesDeployment', name: 'hello', storedManifest: job.storedManifest });
    expect(provisioned!.resolvedManifest).toContain(`DATABASE_PASSWORD: ${CANARY}`);
    expect(provisioned!.resolvedManifest).toContain('LOG_LEVEL: debug');
    expect(provisioned!.resolvedManifest).not.toContain('$secrets-group');
  });

  it('picks the provisioner by the request kind', async () => {
    const job = await jobFixture();
    const kinds: string[] = [];
    await job.run({ provisionerFor: (kind) => (kinds.push(kind), fakeProvisioner()) });
    expect(kinds).toEqual(['KubernetesDeployment']);
  });

  it('with the record provisioner: first deployment, then a diff against the previously deployed manifest', async () => {
    const first = await jobFixture();
    const report1 = await first.run({ provisionerFor: () => new RecordProvisioner(first.store) });
    expect(report1.detail).toBe('recorded; first deployment of hello to app-dev');
    expect(JSON.parse((await first.objects())[OUTPUTS]!)).toEqual({ name: 'hello', env: ENV, digest: first.request.digest });

    // A second run of the same service to the same environment, into the same store.
    const second = await jobFixture({ manifest: helloManifest({ image: 'registry.example/hello:2222222' }) });
    for (const [key, body] of Object.entries(await first.objects())) if (key.startsWith('deployed/')) await second.store.put(key, body);
    const report2 = await second.run({ provisionerFor: () => new RecordProvisioner(second.store) });

    expect(report2.detail).toBe('recorded; 2 lines changed (+1 -1)');
    const objects = await second.objects();
    expect(objects[DEPLOYED]).toBe(second.storedManifest);
    const diff = objects[deployedDiffKey(ORG, ENV, SERVICE)]!;
    expect(diff).toContain('-      image: registry.example/hello:1111111');
    expect(diff).toContain('+      image: registry.example/hello:2222222');
    expect(second.logs).toContain('  +      image: registry.example/hello:2222222');
    expect(await second.task()).toMatchObject({ status: 'SUCCEEDED', detail: 'recorded; 2 lines changed (+1 -1)' });
  });

  it('sends heartbeats while provisioning, and none after', async () => {
    const job = await jobFixture();
    const provisioner = fakeProvisioner(async () => {
      await new Promise((resolve) => setTimeout(resolve, 120));
      return { outputs: {}, summary: 'slow' };
    });
    await job.run({ provisionerFor: () => provisioner, heartbeatMs: 20 });
    const heartbeats = () => job.callbacks.calls.filter((call) => call.method === 'heartbeat');
    expect(heartbeats().length).toBeGreaterThanOrEqual(2);
    expect(heartbeats().every((call) => call.args[0] === TOKEN)).toBe(true);
    const count = heartbeats().length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(heartbeats().length).toBe(count);
    expect(job.callbacks.calls.at(-1)!.method).toBe('succeed');
  });

  it('a step that closes while applying (timed out meanwhile) stops the apply: nothing recorded as deployed; heartbeats stop', async () => {
    const job = await jobFixture();
    let started = false;
    const callbacks = recordingCallbacks((method) => (method === 'heartbeat' && !started ? ((started = true), 'delivered') : 'closed'));
    let stopSeen = false;
    const provisioner: Provisioner = {
      provision: (_job, _log, control) =>
        new Promise((resolve) => {
          const done = setTimeout(() => resolve({ outputs: {}, summary: 'done' }), 2_000);
          control?.signal?.addEventListener('abort', () => {
            stopSeen = true;
            clearTimeout(done);
            resolve({ outputs: {}, summary: 'stopped' });
          });
        }),
    };
    const report = await job.run({ provisionerFor: () => provisioner, callbacks, heartbeatMs: 15 });
    expect(stopSeen).toBe(true);
    expect(report).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/the workflow step closed while the job was applying/) });
    expect(callbacks.calls.filter((call) => call.method === 'heartbeat')).toHaveLength(2); // the start check, then one while provisioning
    expect(job.logs.some((line) => /heartbeat: the workflow step is closed .* stopping the apply/.test(line))).toBe(true);
    expect(job.logs.some((line) => /already closed .* the failure was not reported/.test(line))).toBe(true);
    expect((await job.objects())[`deployed/${ORG}/${ENV}/${SERVICE}.yaml`]).toBeUndefined();
  });

  it('leaves a task the workflow already finished (timed out, cancelled) as it is', async () => {
    const job = await jobFixture({ taskStatus: 'CANCELLED' });
    const report = await job.run({ provisionerFor: () => fakeProvisioner() });
    expect(report.outcome).toBe('succeeded');
    expect((await job.task()).status).toBe('CANCELLED');
    expect(job.logs).toContain('run record: task 0 (app-dev) is already CANCELLED; left as is');
  });
});

describe('runStackJob: failures (nothing applied)', () => {
  it('refuses a manifest whose sha256 differs from the digest: FAILED, nothing deployed, provisioner never called', async () => {
    // Prepare: the stored manifest was changed after the run promoted it.
    const job = await jobFixture();
    await job.store.put(job.request.manifestKey, job.storedManifest.replace('hello:1111111', 'hello:6666666'));
    const provisioner = fakeProvisioner();

    // Act
    const report = await job.run({ provisionerFor: () => provisioner });

    // Assess
    expect(report.outcome).toBe('failed');
    expect(report.detail).toMatch(/differs from the task's digest .*; refusing to deploy it$/);
    expect(provisioner.jobs).toHaveLength(0);
    const keys = Object.keys(await job.objects());
    expect(keys.filter((key) => key.startsWith('deployed/') || key.startsWith('outputs/'))).toEqual([]);
    expect(await job.task()).toMatchObject({ status: 'FAILED', finishedAt: NOW, detail: report.detail });
    expect(job.callbacks.calls).toEqual([
      { method: 'heartbeat', args: [TOKEN] },
      { method: 'fail', args: [TOKEN, WorkflowErrors.StackJobFailed, report.detail] },
    ]);
  });

  it('refuses a request whose manifestKey is not the key of its digest', async () => {
    const job = await jobFixture();
    job.request.manifestKey = 'runs/run-1/manifests/other.yaml';
    const provisioner = fakeProvisioner();
    const report = await job.run({ provisionerFor: () => provisioner });
    expect(report).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('is not runs/run-1/manifests/') });
    expect(provisioner.jobs).toHaveLength(0);
  });

  it('refuses a manifest that is not the resource the task names', async () => {
    const job = await jobFixture();
    job.request.name = 'other';
    const provisioner = fakeProvisioner();
    const report = await job.run({ provisionerFor: () => provisioner });
    expect(report.detail).toMatch(/metadata\.name is "hello" but the task deploys "other"; refusing to deploy it$/);
    expect(provisioner.jobs).toHaveLength(0);
  });

  it('fails before provisioning when a reference does not resolve; the message names the reference, never a value', async () => {
    // Prepare: two secrets, one of them defined (the canary), one missing.
    const manifest = helloManifest({ secrets: { DATABASE_PASSWORD: '$secrets-group/database/password', API_KEY: '$secrets-group/database/missing' } });
    const job = await jobFixture({ manifest });
    const provisioner = fakeProvisioner();

    // Act
    const report = await job.run({ provisionerFor: () => provisioner });

    // Assess
    expect(report.outcome).toBe('failed');
    expect(report.detail).toContain('secret database/missing ($secrets-group/database/missing) has no value in environment app-dev');
    expect(provisioner.jobs).toHaveLength(0);
    expect(Object.keys(await job.objects()).filter((key) => key.startsWith('deployed/'))).toEqual([]);
    expect((await job.task()).status).toBe('FAILED');
    expect(leaks(CANARY, { objects: await job.objects(), logs: job.logs, calls: job.callbacks.calls })).toEqual([]);
  });

  it('a provisioner error becomes the failure line, with secret values redacted', async () => {
    const job = await jobFixture();
    const provisioner = fakeProvisioner(async (provisioned) => {
      throw new Error(`tool said: bad password ${CANARY}\nsecond line`);
    });
    const report = await job.run({ provisionerFor: () => provisioner });
    expect(report.detail).toBe('tool said: bad password *** second line');
    expect(job.callbacks.calls).toEqual([
      { method: 'heartbeat', args: [TOKEN] },
      { method: 'fail', args: [TOKEN, WorkflowErrors.StackJobFailed, report.detail] },
    ]);
    expect(leaks(CANARY, { objects: await job.objects(), logs: job.logs, calls: job.callbacks.calls })).toEqual([]);
  });

  it('a provisioner lookup that throws (unreadable organization config) fails the job through the workflow', async () => {
    const job = await jobFixture();
    const report = await job.run({
      provisionerFor: () => {
        throw new Error('the store has no config/organization.yaml');
      },
    });
    expect(report).toEqual({ outcome: 'failed', detail: 'the store has no config/organization.yaml' });
    expect(job.callbacks.calls.map((call) => call.method)).toEqual(['heartbeat', 'fail']);
  });
});

describe('runStackJob: a step that closed before the job started (the build queued past its timeout)', () => {
  it('stops before resolving anything: provisioner never called, nothing deployed, the task left alone, nothing reported', async () => {
    // Prepare
    const resolved: string[] = [];
    const secrets = memorySecrets({ database: { password: CANARY } });
    const job = await jobFixture({
      secrets: { getSecret: async (scope, group, key) => (resolved.push(`${group}/${key}`), secrets.getSecret(scope, group, key)) },
    });
    const callbacks = recordingCallbacks((method) => (method === 'heartbeat' ? 'closed' : 'delivered'));
    const provisioner = fakeProvisioner();

    // Act
    const report = await job.run({ provisionerFor: () => provisioner, callbacks });

    // Assess
    expect(report).toEqual({ outcome: 'failed', detail: 'the workflow step closed before the job started; nothing applied' });
    expect(provisioner.jobs).toHaveLength(0);
    expect(resolved).toEqual([]);
    const objects = await job.objects();
    expect(Object.keys(objects).filter((key) => key.startsWith('deployed/') || key.startsWith('outputs/'))).toEqual([]);
    expect(await job.task()).toMatchObject({ status: 'APPLYING' });
    expect((await job.task()).finishedAt).toBeUndefined();
    expect(callbacks.calls).toEqual([{ method: 'heartbeat', args: [TOKEN] }]);
    expect(job.logs.at(-1)).toBe('stack job stopped: the workflow step closed before the job started; nothing applied');
  });

  it('heartbeats first, before anything slow: the manifest download, the provisioner (organization, role) and the lease come after', async () => {
    // The step's heartbeat timeout counts from the step's start: CodeBuild's queueing and install
    // phase have used part of it already when the runner starts.
    const job = await jobFixture();
    const events: string[] = [];
    const store = recordingStore(job.store, events);
    const callbacks = recordingCallbacks((method) => (events.push(method), 'delivered'));
    const provisioner = fakeProvisioner();

    const report = await job.run({ store, callbacks, provisionerFor: () => (events.push('provisionerFor'), provisioner) });

    expect(report.outcome).toBe('succeeded');
    expect(events[0]).toBe('heartbeat');
    expect(events.slice(1, 3)).toEqual([`get ${job.request.manifestKey}`, `get ${LOCK}`]);
    // The provisioner is asked for only once this job holds the environment's lease.
    expect(events.indexOf('provisionerFor')).toBeGreaterThan(events.indexOf(`put ${LOCK}`));
  });

  it('a step that closed while the build queued: stops at that first heartbeat, before downloading anything', async () => {
    const job = await jobFixture();
    const events: string[] = [];
    const callbacks = recordingCallbacks((method) => (method === 'heartbeat' ? 'closed' : 'delivered'));
    let asked = 0;

    const report = await job.run({ store: recordingStore(job.store, events), callbacks, provisionerFor: () => (asked++, fakeProvisioner()) });

    expect(report).toEqual({ outcome: 'failed', detail: 'the workflow step closed before the job started; nothing applied' });
    // Nothing read, nothing recorded: only the job's own log says why it stopped.
    expect(events).toEqual(['put runs/run-1/logs/0-dev.log']);
    expect(await job.store.get('runs/run-1/logs/0-dev.log')).toMatchObject({ body: expect.stringContaining('stack job stopped: the workflow step closed before the job started') });
    expect(asked).toBe(0);
  });

  it('a tampered manifest still fails the job through the workflow after that first heartbeat', async () => {
    const job = await jobFixture();
    await job.store.put(job.request.manifestKey, `${job.storedManifest}# tampered\n`);
    const callbacks = recordingCallbacks();
    const report = await job.run({ provisionerFor: () => fakeProvisioner(), callbacks });
    expect(report.outcome).toBe('failed');
    expect(callbacks.calls.map((call) => call.method)).toEqual(['heartbeat', 'fail']);
  });

  it('a heartbeat that cannot be delivered (transient) does not stop the job', async () => {
    const job = await jobFixture();
    const callbacks = recordingCallbacks();
    const heartbeat = callbacks.heartbeat;
    let first = true;
    callbacks.heartbeat = async (token) => {
      if (first) {
        first = false;
        throw new Error('ThrottlingException');
      }
      return heartbeat(token);
    };
    const report = await job.run({ provisionerFor: () => fakeProvisioner(), callbacks });
    expect(report.outcome).toBe('succeeded');
    expect(job.logs.some((line) => /heartbeat not delivered: ThrottlingException/.test(line))).toBe(true);
  });
});

describe('runStackJob: what the provisioner holds for the job (the environment role’s credentials endpoint)', () => {
  it('is closed once provisioning is over: after success, after a provisioner failure, and after a reference that does not resolve', async () => {
    for (const [name, options, behaviour] of [
      ['success', {}, undefined],
      ['provisioner failure', {}, async () => { throw new Error('apply exploded'); }],
      ['reference without a value', { secrets: memorySecrets({}) }, undefined],
    ] as const) {
      const job = await jobFixture(options);
      const events: string[] = [];
      const inner = fakeProvisioner(behaviour);
      const provisioner = {
        provision: async (...args: Parameters<typeof inner.provision>) => (events.push('provision'), inner.provision(...args)),
        close: async () => void events.push('close'),
      };
      const callbacks = recordingCallbacks((method) => (method !== 'heartbeat' && events.push(method), 'delivered'));

      await job.run({ callbacks, provisionerFor: () => provisioner });

      expect(events.filter((event) => event === 'close'), name).toHaveLength(1);
      expect(events.at(-1), name).not.toBe('close'); // closed before the report, not left to the end of the process
      expect(events.indexOf('close'), name).toBeLessThan(events.findIndex((event) => event === 'succeed' || event === 'fail'));
    }
  });

  it('a close that fails is logged; the job’s outcome stands', async () => {
    const job = await jobFixture();
    const provisioner = { ...fakeProvisioner(), close: async () => { throw new Error('port already closed'); } };
    const report = await job.run({ provisionerFor: () => provisioner });
    expect(report.outcome).toBe('succeeded');
    expect(job.logs).toContain('provisioner not closed cleanly: port already closed');
  });

  it('hands provisionerFor the job’s log (what it does for the job shows in the job’s log, in order)', async () => {
    const job = await jobFixture();
    await job.run({ provisionerFor: (_kind, log) => (log('assumed the environment role'), fakeProvisioner()) });
    const lines = job.logs.join('\n');
    expect(lines.indexOf(`lease on ${ENV} acquired`)).toBeLessThan(lines.indexOf('assumed the environment role'));
    expect(lines.indexOf('assumed the environment role')).toBeLessThan(lines.indexOf('resolving 2 references'));
  });
});

describe('runStackJob: secrets never leave memory', () => {
  it('redacts secret values (and their lines and escaped forms) from logs, summary, outputs and the run record', async () => {
    // Prepare: an environment-scoped multi-line secret wins over the organization one.
    const multiLine = `-----BEGIN KEY-----\n${CANARY}-line2\n"quoted" ${CANARY}-line3`;
    const secrets = memorySecrets({ database: { password: 'org-level-value' } }, { [ENV]: { database: { password: multiLine } } });
    const job = await jobFixture({ secrets });
    const provisioner = fakeProvisioner(async (provisioned, log) => {
      for (const line of provisioned.resolvedManifest.split('\n')) log(line);
      return { outputs: { password: multiLine, [`k-${CANARY}-line2`]: 'v' }, summary: `applied with ${CANARY}-line2` };
    });

    // Act
    const report = await job.run({ provisionerFor: () => provisioner });

    // Assess
    expect(report.outcome).toBe('succeeded');
    expect(provisioner.jobs[0]!.resolvedManifest).toContain(`${CANARY}-line2`);
    const places = { objects: await job.objects(), logs: job.logs, calls: job.callbacks.calls };
    expect(leaks(CANARY, places)).toEqual([]);
    expect(leaks('-----BEGIN KEY-----', places)).toEqual([]);
    expect(job.logs.filter((line) => line.trim() === '***')).toHaveLength(3); // the block scalar's lines
    expect(report.detail).toBe('applied with ***');
    expect(places.objects[deployedKey(ORG, ENV, SERVICE)]).toContain('$secrets-group/database/password');
  });

  it('logs the references it resolves by name only', async () => {
    const job = await jobFixture();
    await job.run({ provisionerFor: () => fakeProvisioner() });
    expect(job.logs).toContain('resolving 2 references: secret database/password, variable app/log-level');
  });
});

it('the stored manifest is canonical YAML (what the runner records as deployed)', () => {
  expect(canonicalizeManifest(helloManifest(), 'x').yaml).toContain('DATABASE_PASSWORD: $secrets-group/database/password');
});
