import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../../lib/pipeline/workflow/records.js';
import { appendRunEvents, listRunEvents, runEventsBetween } from '../../../../lib/pipeline/workflow/run-events.js';
import { notificationFor } from '../../../../lib/pipeline/workflow/run-notifications.js';
import { memoryStore } from '../approvals/harness.js';
import { build, runTask } from './harness.js';

const T = '2030-01-01T12:00:00.000Z';

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return { schemaVersion: 1, runId: 'hello-abc', build: build('a'.repeat(40)), status: 'RUNNING', createdAt: T, updatedAt: T, tasks: [], skipped: [], warnings: [], ...overrides };
}

describe('run events', () => {
  it('a new run is one Run Status Change from nothing', () => {
    const events = runEventsBetween(undefined, run(), T);
    expect(events.map((event) => [event.source, event.detailType, event.detail])).toEqual([
      ['stageline', 'Run Status Change', expect.objectContaining({ runId: 'hello-abc', service: 'hello', status: 'RUNNING', previousStatus: null, commitSha: 'a'.repeat(40), image: `hello:${'a'.repeat(40)}` })],
    ]);
  });

  it('an environment that starts waiting at its gate is a status change and an Approval Requested naming the approvers', () => {
    const before = run({ tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'SUCCEEDED'), runTask(2, 'PENDING')] });
    const after = run({ tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'SUCCEEDED'), runTask(2, 'WAITING_APPROVAL')] });
    const events = runEventsBetween(before, after, T);
    expect(events.map((event) => event.detailType)).toEqual(['Environment Status Change', 'Approval Requested']);
    expect(events[0]!.detail).toMatchObject({ env: 'app-production', status: 'WAITING_APPROVAL', previousStatus: 'PENDING' });
    expect(events[1]!.detail).toMatchObject({ env: 'app-production', approvers: ['ops@acme.io', 'lead@acme.io'], minApprovals: 1 });
  });

  it('a failure: the environment that failed, then the run, with its reason; unchanged environments say nothing', () => {
    const before = run({ tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'APPLYING'), runTask(2, 'PENDING')] });
    const after = run({
      status: 'FAILED',
      failure: { env: 'app-staging', error: 'Stageline.StackJobFailed', cause: 'apply command exited with code 3' },
      tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'FAILED', { detail: 'apply command exited with code 3' }), runTask(2, 'CANCELLED')],
    });
    const events = runEventsBetween(before, after, T);
    expect(events.map((event) => [event.detailType, 'env' in event.detail ? event.detail.env : null, 'status' in event.detail ? event.detail.status : null])).toEqual([
      ['Environment Status Change', 'app-staging', 'FAILED'],
      ['Environment Status Change', 'app-production', 'CANCELLED'],
      ['Run Status Change', null, 'FAILED'],
    ]);
    expect(notificationFor(events[2]!)).toEqual({
      subject: 'Stageline: hello run failed at app-staging',
      text: `Run hello-abc of hello ${'a'.repeat(12)} (main) failed at app-staging: apply command exited with code 3. Later environments were cancelled. Details: stageline status hello-abc`,
    });
    expect(notificationFor(events[0]!)).toBeUndefined();
  });

  it('people are told about rejections, timeouts and waiting gates, not about progress', () => {
    const rejected = runEventsBetween(run({ tasks: [runTask(2, 'WAITING_APPROVAL')] }), run({ tasks: [runTask(2, 'REJECTED', { detail: 'rejected by ops@acme.io: not today' })] }), T);
    expect(notificationFor(rejected[0]!)?.subject).toBe('Stageline: hello rejected at app-production');
    expect(notificationFor(rejected[0]!)?.text).toContain('not today');
    const applying = runEventsBetween(run({ tasks: [runTask(0, 'PENDING')] }), run({ tasks: [runTask(0, 'APPLYING')] }), T);
    expect(applying.map(notificationFor)).toEqual([undefined]);
  });

  it('are appended once each and read back in order; a repeated append of the same change adds nothing', async () => {
    const store = memoryStore();
    const first = runEventsBetween(undefined, run({ tasks: [runTask(0, 'PENDING')] }), '2030-01-01T12:00:00.000Z');
    const second = runEventsBetween(run({ tasks: [runTask(0, 'PENDING')] }), run({ tasks: [runTask(0, 'APPLYING')] }), '2030-01-01T12:00:01.000Z');
    await appendRunEvents(store, first);
    await appendRunEvents(store, second);
    await appendRunEvents(store, second);
    const events = await listRunEvents(store, 'hello-abc');
    expect(events.map((event) => [event.detailType, 'status' in event.detail ? event.detail.status : null])).toEqual([
      ['Environment Status Change', 'PENDING'],
      ['Run Status Change', 'RUNNING'],
      ['Environment Status Change', 'APPLYING'],
    ]);
  });
});
