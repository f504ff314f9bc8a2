import { describe, expect, it } from 'vitest';
import { approvalIdFor, gateKey, type GateRecord } from '../../../../lib/pipeline/approvals/gate.js';
import { readRun, serialize } from '../../../../lib/pipeline/workflow/records.js';
import { cancelRemainingStep } from '../../../../lib/pipeline/workflow/steps.js';
import { fixedClock } from '../../../../lib/ports/clock.js';
import { memoryStore } from '../approvals/harness.js';
import { build, runTask, seedRun } from './harness.js';

describe('a gate that times out', () => {
  it('says until when nobody decided', async () => {
    const store = memoryStore();
    await seedRun(store, 'hello-1', { tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'SUCCEEDED'), runTask(2, 'WAITING_APPROVAL')] });
    const approvalId = approvalIdFor('hello-1', 2);
    const gate: GateRecord = {
      approvalId,
      runId: 'hello-1',
      taskIndex: 2,
      overlay: 'production',
      env: 'app-production',
      org: 'acme',
      service: 'hello',
      commitSha: 'abcdef0123',
      image: build('abcdef0123').image,
      triggeredBy: 'dev@acme.io',
      digest: '2'.repeat(64),
      approvers: ['ops@acme.io', 'lead@acme.io'],
      minApprovals: 1,
      taskToken: 'token-1',
      createdAt: '2030-01-01T12:00:00.000Z',
      expiresAt: '2030-01-04T12:00:00.000Z',
      status: 'WAITING',
    };
    await store.put(gateKey(approvalId), serialize(gate));

    await cancelRemainingStep({ store, clock: fixedClock(new Date('2030-01-04T12:00:01.000Z')) }, { runId: 'hello-1', failure: { Error: 'States.Timeout', Cause: 'States.Timeout' } });

    const production = (await readRun(store, 'hello-1'))!.tasks[2]!;
    expect(production).toMatchObject({ status: 'TIMED_OUT', detail: 'no decision by 2030-01-04T12:00:00.000Z' });
  });
});
