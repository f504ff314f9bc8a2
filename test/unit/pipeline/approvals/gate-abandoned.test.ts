import { describe, expect, it } from 'vitest';
import { gateKey, recordDecision } from '../../../../lib/pipeline/approvals/gate.js';
import { runOwnerKey } from '../../../../lib/pipeline/stack-job/run-owner.js';
import { requestCancel } from '../../../../lib/pipeline/workflow/cancellation.js';
import { serialize } from '../../../../lib/pipeline/workflow/records.js';
import { gateFixture, NOW, RUN_ID } from './harness.js';

describe('a gate of a run nobody runs any more', () => {
  it('takes no decision once the run owner has stopped renewing its heartbeat (the deploy was killed)', async () => {
    const fixture = await gateFixture();
    await fixture.store.put(runOwnerKey(RUN_ID), serialize({ host: 'laptop', pid: 999_999, startedAt: NOW, heartbeatAt: NOW }));
    fixture.clock.advance(60);

    await expect(recordDecision(fixture.deps, { approvalId: fixture.gate.approvalId, approver: 'ops@acme.io', decision: 'approve', via: 'cli' })).rejects.toMatchObject({
      code: 'DECISION_REFUSED',
      message: expect.stringMatching(/^run run-1 is no longer being run \(its deploy process \(pid 999999 on laptop\) stopped renewing its heartbeat 60 s ago/),
    });
    expect(fixture.callbacks.calls).toEqual([]);
    expect(await fixture.decisions()).toEqual([]);
  });

  it('while the owner is alive, decisions are taken as usual', async () => {
    const fixture = await gateFixture();
    await fixture.store.put(runOwnerKey(RUN_ID), serialize({ host: 'laptop', pid: 999_999, startedAt: NOW, heartbeatAt: NOW }));
    fixture.clock.advance(1);
    expect(await recordDecision(fixture.deps, { approvalId: fixture.gate.approvalId, approver: 'ops@acme.io', decision: 'approve', via: 'cli' })).toEqual({ outcome: 'approved' });
  });

  it('the person who triggered the build may not approve it, whatever blanks or capitals they add', async () => {
    const fixture = await gateFixture({ approvers: ['ops@acme.io', 'dev@acme.io'], triggeredBy: 'dev@acme.io' });
    await expect(recordDecision(fixture.deps, { approvalId: fixture.gate.approvalId, approver: ' Dev@ACME.io ', decision: 'approve', via: 'cli' })).rejects.toMatchObject({ code: 'DECISION_REFUSED' });
  });

  it('cancel still ends a run whose gate record is corrupt, and names nothing it cannot read', async () => {
    const fixture = await gateFixture();
    await fixture.store.put(gateKey(fixture.gate.approvalId), '{"approvalId": "tru');
    const run = await requestCancel({ store: fixture.store, callbacks: fixture.callbacks, clock: fixture.clock, waitMs: 0 }, RUN_ID, { reason: 'cancelled', by: 'ops@acme.io' });
    expect(run.runId).toBe(RUN_ID);
    expect(await fixture.store.get(`runs/${RUN_ID}/cancel`)).toBeDefined();
  });
});
