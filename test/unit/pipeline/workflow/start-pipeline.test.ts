import { describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../../../functions/start-pipeline/handler.js';
import { buildSourcePrefix, listRuns, listRunsOfService, readRun, runKey, serialize, type BuildEvent } from '../../../../lib/pipeline/workflow/records.js';
import { executionNameFor, startPipeline, triggerPipeline } from '../../../../lib/pipeline/workflow/start-pipeline.js';
import type { ArtifactStore } from '../../../../lib/ports/artifact-store.js';
import type { Clock } from '../../../../lib/ports/clock.js';
import { memoryStore, recordingCallbacks } from '../approvals/harness.js';
import { build, hookedStore, RecordingStarter, runTask, seedRun } from './harness.js';

/** The trigger: a run is always started once created, even when the first attempt failed half-way. */

function tickingClock(start = '2030-01-01T12:00:00.000Z'): Clock {
  let time = Date.parse(start);
  return { now: () => new Date((time += 1000)) };
}

async function upload(store: ArtifactStore, event: BuildEvent, concurrency: string): Promise<void> {
  const service = `apiVersion: stageline.dev/v1\nkind: Service\nmetadata: { name: ${event.service}, org: acme }\nspec:\n  concurrency: ${concurrency}\n`;
  await store.put(`${buildSourcePrefix(event.service, event.commitSha)}stageline.yaml`, service);
}

const buildCompleted = (event: BuildEvent) => ({ source: 'stageline.build', 'detail-type': 'Build Completed', detail: event });

describe('startPipeline: a run that was created is started', () => {
  it('supersede: an older run that finished between the listing and the cancel is nothing to supersede, and the new run starts', async () => {
    const older = build('aaaaaaa1');
    const newer = build('bbbbbbb2');
    const olderId = executionNameFor(older);
    let finished = false;
    const store = hookedStore(memoryStore(), {
      // The older run ends (Record success) right after start-pipeline listed it as RUNNING.
      afterGet: async (key, object) => {
        if (finished || key !== runKey(olderId) || !object) return;
        finished = true;
        await store.objects.set(key, serialize({ ...JSON.parse(object.body), status: 'SUCCEEDED' }));
      },
    });
    const starter = new RecordingStarter();
    const deps = { store, clock: tickingClock(), starter, callbacks: recordingCallbacks() };
    await upload(store, newer, 'supersede');
    await seedRun(store, olderId, { build: older, createdAt: '2030-01-01T11:00:00.000Z' });

    const result = await startPipeline(deps, buildCompleted(newer));
    expect(finished).toBe(true);
    expect(result).toMatchObject({ started: true, superseded: [] });
    expect(starter.names).toEqual([result.runId]);
    expect((await readRun(store, olderId))!.status).toBe('SUCCEEDED');
  });

  it('a repeated event starts a run whose StartExecution failed after the run was created', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    const deps = { store, clock: tickingClock(), starter, callbacks: recordingCallbacks() };
    const event = build('ccccccc3');
    await upload(store, event, 'supersede');
    starter.failOnce.add(executionNameFor(event));

    await expect(startPipeline(deps, buildCompleted(event))).rejects.toThrow(/ServiceUnavailable/);
    const stuck = (await readRun(store, executionNameFor(event)))!;
    expect(stuck).toMatchObject({ status: 'RUNNING', tasks: [] });
    expect(starter.names).toEqual([]);

    // The event is delivered again (Lambda retry): the run is started now.
    const retried = await startPipeline(deps, buildCompleted(event));
    expect(retried).toMatchObject({ runId: stuck.runId, started: true, queued: false });
    expect(starter.names).toEqual([stuck.runId]);
    expect(starter.started[0]!.input).toEqual({ runId: stuck.runId, build: event });

    // Once started, a third delivery starts nothing (not even a no-op StartExecution).
    expect(await startPipeline(deps, buildCompleted(event))).toMatchObject({ started: false });
    expect(starter.names).toEqual([stuck.runId]);
  });

  it('a repeated event of a run that is running (tasks created) starts nothing', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    const deps = { store, clock: tickingClock(), starter, callbacks: recordingCallbacks() };
    const event = build('ddddddd4');
    await upload(store, event, 'parallel');
    // Seeded like a run created before start-pipeline recorded its start: it has tasks, so it started.
    await seedRun(store, executionNameFor(event), { build: event, tasks: [runTask(0, 'APPLYING')] });
    expect(await startPipeline(deps, buildCompleted(event))).toMatchObject({ started: false });
    expect(starter.names).toEqual([]);
  });

  it('queue: a repeated event starts a queued run whose predecessor ended without starting it', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    const deps = { store, clock: tickingClock(), starter, callbacks: recordingCallbacks() };
    const [a, b] = [build('aaaaaaa1'), build('bbbbbbb2')];
    for (const event of [a, b]) await upload(store, event, 'queue');
    const first = await startPipeline(deps, buildCompleted(a));
    const second = await startPipeline(deps, buildCompleted(b));
    expect(second).toMatchObject({ queued: true, queuedBehind: first.runId });
    // Run A ends but its final step never started the next run (the Lambda died after recording).
    const runA = (await readRun(store, first.runId))!;
    await store.put(runKey(first.runId), serialize({ ...runA, status: 'SUCCEEDED' }));

    const repeated = await startPipeline(deps, buildCompleted(b));
    expect(repeated).toMatchObject({ runId: second.runId, started: true });
    expect(starter.names).toEqual([first.runId, second.runId]);
    expect((await readRun(store, second.runId))!.status).toBe('RUNNING');
  });

  it('queue: a repeated event of a run queued behind a running one changes nothing', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    const deps = { store, clock: tickingClock(), starter, callbacks: recordingCallbacks() };
    const [a, b] = [build('aaaaaaa1'), build('bbbbbbb2')];
    for (const event of [a, b]) await upload(store, event, 'queue');
    await startPipeline(deps, buildCompleted(a));
    const second = await startPipeline(deps, buildCompleted(b));
    const before = (await store.get(runKey(second.runId)))!.body;
    expect(await startPipeline(deps, buildCompleted(b))).toMatchObject({ started: false, queued: false });
    expect((await store.get(runKey(second.runId)))!.body).toBe(before);
    expect(starter.started).toHaveLength(1);
  });
});

describe('listRunsOfService', () => {
  it('lists the runs of one service only, even when another service name starts with it', async () => {
    const store = memoryStore();
    const web = build('aaaaaaa1', { service: 'web' });
    const webApi = build('bbbbbbb2', { service: 'web-api' });
    const other = build('ccccccc3', { service: 'other' });
    await seedRun(store, executionNameFor(web), { build: web, createdAt: '2030-01-01T10:00:00.000Z' });
    await seedRun(store, executionNameFor(webApi), { build: webApi });
    await seedRun(store, executionNameFor(other), { build: other });
    const newerWeb = build('ddddddd4', { service: 'web' });
    await seedRun(store, executionNameFor(newerWeb), { build: newerWeb, createdAt: '2030-01-01T11:00:00.000Z' });

    expect((await listRunsOfService(store, 'web')).map((run) => run.runId)).toEqual([executionNameFor(newerWeb), executionNameFor(web)]);
    expect((await listRunsOfService(store, 'web-api')).map((run) => run.runId)).toEqual([executionNameFor(webApi)]);
    expect(await listRunsOfService(store, 'we')).toEqual([]);
    expect(await listRuns(store)).toHaveLength(4);
  });

  it('start-pipeline reads no run of another service (supersede and queue)', async () => {
    for (const policy of ['supersede', 'queue']) {
      const store = hookedStore(memoryStore(), {});
      const starter = new RecordingStarter();
      const deps = { store, clock: tickingClock(), starter, callbacks: recordingCallbacks() };
      for (let index = 0; index < 5; index++) {
        const other = build(`${index}cccccc3`, { service: 'other' });
        await seedRun(store, executionNameFor(other), { build: other });
      }
      const event = build('aaaaaaa1', { service: 'web' });
      await upload(store, event, policy);
      store.gets.length = 0;
      await startPipeline(deps, buildCompleted(event));
      expect(store.gets.filter((key) => key.startsWith('runs/other-')), policy).toEqual([]);
      expect(starter.names).toEqual([executionNameFor(event)]);
    }
  });
});

/** An EventBridge "Object Created" event in the shape of AWS's documented sample (S3 → EventBridge). */
function objectCreated(key: string) {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '111122223333',
    time: '2030-01-01T12:00:00Z',
    region: 'eu-west-1',
    resources: ['arn:aws:s3:::stageline-bucket'],
    detail: {
      version: '0',
      bucket: { name: 'stageline-bucket' },
      object: { key, size: 5, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '00617F08299329D189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject',
    },
  };
}

describe('triggerPipeline: the start-pipeline function', () => {
  // The rule matches builds/*/*/build.json, and EventBridge's * also matches "/": nested keys arrive too.
  it.each(['builds/hello/1111111/nested/build.json', 'builds/a/b/c/build.json', 'builds//1111111/build.json', 'builds/hello/1111111/source/_kustomize/build.json'])(
    'ignores an S3 event for %s quietly: one log line, no error, nothing started or written',
    async (key) => {
      const store = hookedStore(memoryStore(), {});
      const starter = new RecordingStarter();
      const logs: string[] = [];
      await store.put(key, JSON.stringify(build('1111111')));

      const result = await triggerPipeline({ store, clock: tickingClock(), starter, callbacks: recordingCallbacks(), log: (line) => logs.push(line) }, objectCreated(key));

      expect(result).toEqual({ ignored: true, key });
      expect(logs).toEqual([`start-pipeline: ignored S3 object ${key}: not a builds/<service>/<commit>/build.json`]);
      expect(starter.names).toEqual([]);
      expect(await listRuns(store)).toEqual([]);
      expect(store.gets).toEqual([]);
    },
  );

  it('the Lambda handler answers a nested key without an error (no retries, nothing in the failure destination) and logs one line', async () => {
    const starter = new RecordingStarter();
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const handler = makeHandler({ store: memoryStore(), clock: tickingClock(), starter, callbacks: recordingCallbacks() });
      await expect(handler(objectCreated('builds/a/b/c/build.json'))).resolves.toEqual({ ignored: true, key: 'builds/a/b/c/build.json' });
      expect(log.mock.calls).toEqual([['start-pipeline: ignored S3 object builds/a/b/c/build.json: not a builds/<service>/<commit>/build.json']]);
      expect(starter.names).toEqual([]);
    } finally {
      log.mockRestore();
    }
  });

  it('starts a run for builds/<service>/<commit>/build.json', async () => {
    const store = memoryStore();
    const starter = new RecordingStarter();
    const event = build('1111111');
    await upload(store, event, 'supersede');
    const key = `builds/${event.service}/${event.commitSha}/build.json`;
    await store.put(key, JSON.stringify(event));

    const result = await triggerPipeline({ store, clock: tickingClock(), starter, callbacks: recordingCallbacks(), log: () => undefined }, objectCreated(key));

    expect(result).toMatchObject({ runId: executionNameFor(event), started: true });
    expect(starter.names).toEqual([executionNameFor(event)]);
  });

  it('an event that is no build event at all is still an error (it cannot come from the rules)', async () => {
    const deps = { store: memoryStore(), clock: tickingClock(), starter: new RecordingStarter(), callbacks: recordingCallbacks(), log: () => undefined };
    await expect(triggerPipeline(deps, { source: 'aws.s3', 'detail-type': 'Object Created', detail: {} })).rejects.toThrow(/not a builds\/<service>\/<commit>\/build\.json/);
    await expect(triggerPipeline(deps, { source: 'x', 'detail-type': 'Something', detail: {} })).rejects.toThrow(/unexpected event detail-type/);
  });
});
