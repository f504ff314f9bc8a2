import { describe, expect, it } from 'vitest';
import { decisionKey } from '../../../../lib/pipeline/approvals/gate.js';
import { environmentHistory, environmentsOverview } from '../../../../lib/pipeline/workflow/deployments.js';
import { serialize } from '../../../../lib/pipeline/workflow/records.js';
import { memoryStore } from '../approvals/harness.js';
import { build, ENVS, runTask, seedRun } from './harness.js';

/** What is deployed where: read from the runs' SUCCEEDED environments, newest first. */

const environments = [...ENVS];

describe('environmentsOverview', () => {
  it('shows the newest deployment of each environment and the runs in flight towards it', async () => {
    const store = memoryStore();
    await seedRun(store, 'hello-aaa', {
      status: 'SUCCEEDED',
      createdAt: '2030-01-01T10:00:00.000Z',
      build: build('a'.repeat(40)),
      tasks: [runTask(0, 'SUCCEEDED', { finishedAt: '2030-01-01T10:01:00.000Z' }), runTask(1, 'SUCCEEDED', { finishedAt: '2030-01-01T10:02:00.000Z' })],
    });
    await seedRun(store, 'hello-bbb', {
      status: 'RUNNING',
      createdAt: '2030-01-02T10:00:00.000Z',
      build: build('b'.repeat(40)),
      tasks: [runTask(0, 'SUCCEEDED', { finishedAt: '2030-01-02T10:01:00.000Z' }), runTask(1, 'APPLYING', { startedAt: '2030-01-02T10:01:30.000Z' }), runTask(2, 'PENDING')],
    });
    await seedRun(store, 'hello-ccc', { status: 'QUEUED', createdAt: '2030-01-03T10:00:00.000Z', build: build('c'.repeat(40)) });

    const rows = await environmentsOverview(store, 'hello', environments);

    expect(rows.map((row) => [row.env, row.deployed?.commitSha.slice(0, 1) ?? null])).toEqual([
      ['app-dev', 'b'],
      ['app-staging', 'a'],
      ['app-production', null],
      ['app-dr', null],
    ]);
    expect(rows[1]!.deployed).toMatchObject({ runId: 'hello-aaa', image: `hello:${'a'.repeat(40)}`, digest: '1'.repeat(64), deployedAt: '2030-01-01T10:02:00.000Z' });
    expect(rows[1]!.inFlight).toEqual([
      { runId: 'hello-ccc', commitSha: 'c'.repeat(40), image: `hello:${'c'.repeat(40)}`, status: 'QUEUED', since: '2030-01-03T10:00:00.000Z' },
      { runId: 'hello-bbb', commitSha: 'b'.repeat(40), image: `hello:${'b'.repeat(40)}`, status: 'APPLYING', since: '2030-01-02T10:01:30.000Z' },
    ]);
    expect(rows[0]!.inFlight.map((flight) => flight.status)).toEqual(['QUEUED']);
  });

  it("names who approved a gated environment's deployment", async () => {
    const store = memoryStore();
    await seedRun(store, 'hello-aaa', { status: 'SUCCEEDED', tasks: [runTask(2, 'SUCCEEDED', { approvalId: 'gate-1', finishedAt: '2030-01-01T12:05:00.000Z' })] });
    await store.put(decisionKey('gate-1', 'ops@acme.io'), serialize({ approver: 'ops@acme.io', decision: 'approve', at: '2030-01-01T12:04:00.000Z', via: 'link' }));

    const [, , production] = await environmentsOverview(store, 'hello', environments);

    expect(production!.deployed?.approvedBy).toEqual(['ops@acme.io']);
  });

  it('ignores another service whose name starts with this one', async () => {
    const store = memoryStore();
    await seedRun(store, 'hello-api-aaa', { status: 'SUCCEEDED', build: build('a'.repeat(40), { service: 'hello-api' }), tasks: [runTask(0, 'SUCCEEDED')] });

    const rows = await environmentsOverview(store, 'hello', environments);

    expect(rows.every((row) => row.deployed === undefined)).toBe(true);
  });
});

describe('environmentHistory', () => {
  it("lists one environment's deployments newest first, failed attempts left out", async () => {
    const store = memoryStore();
    await seedRun(store, 'hello-aaa', { status: 'SUCCEEDED', build: build('a'.repeat(40)), tasks: [runTask(0, 'SUCCEEDED', { finishedAt: '2030-01-01T10:00:00.000Z' })] });
    await seedRun(store, 'hello-bbb', { status: 'FAILED', build: build('b'.repeat(40)), tasks: [runTask(0, 'FAILED', { finishedAt: '2030-01-02T10:00:00.000Z' })] });
    await seedRun(store, 'hello-ccc', { status: 'SUCCEEDED', build: build('c'.repeat(40)), tasks: [runTask(0, 'SUCCEEDED', { finishedAt: '2030-01-03T10:00:00.000Z' })] });

    const history = await environmentHistory(store, 'hello', 'app-dev');

    expect(history.map((deployment) => deployment.runId)).toEqual(['hello-ccc', 'hello-aaa']);
    expect(await environmentHistory(store, 'hello', 'app-staging')).toEqual([]);
  });
});
