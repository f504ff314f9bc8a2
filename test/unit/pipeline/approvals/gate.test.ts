import { describe, expect, it, vi } from 'vitest';
import { decisionKey, DecisionRefused, gateKey, openGate, recordDecision, type GateRecord } from '../../../../lib/pipeline/approvals/gate.js';
import { runKey, serialize } from '../../../../lib/pipeline/workflow/records.js';
import { hookedStore } from '../workflow/harness.js';
import { gateFixture, RUN_ID } from './harness.js';

/** Closing a gate completes its step, whatever happens to the run record afterwards. */

describe('closing a gate', () => {
  it('completes the step with the token of the gate record it swapped (a retried step re-armed the gate)', async () => {
    const fixture = await gateFixture();
    const store = hookedStore(fixture.store, {
      // The step was retried and re-armed the gate with a new token after this decision read the gate.
      afterPut: async (key) => {
        if (key !== decisionKey(fixture.gate.approvalId, 'ops@acme.io')) return;
        fixture.store.objects.set(gateKey(fixture.gate.approvalId), serialize({ ...fixture.gate, taskToken: 'TOKEN-OF-THE-RETRY' }));
      },
    });
    const result = await recordDecision({ ...fixture.deps, store }, { approvalId: fixture.gate.approvalId, approver: 'ops@acme.io', decision: 'approve', via: 'link' });
    expect(result).toEqual({ outcome: 'approved' });
    expect(fixture.callbacks.calls).toEqual([{ method: 'succeed', token: 'TOKEN-OF-THE-RETRY', output: { approvedBy: ['ops@acme.io'] } }]);
  });

  it('completes the step even when recording the outcome on the run fails', async () => {
    const fixture = await gateFixture();
    const store = hookedStore(fixture.store, { failPut: (key) => (key === runKey(RUN_ID) ? new Error('SlowDown: reduce your request rate') : undefined) });
    const deps = { ...fixture.deps, store };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(await recordDecision(deps, { approvalId: fixture.gate.approvalId, approver: 'ops@acme.io', decision: 'reject', reason: 'wrong image', via: 'link' })).toEqual({ outcome: 'rejected' });
      expect(warn).toHaveBeenCalledOnce();
      expect(String(warn.mock.calls[0]![0])).toContain('SlowDown');
      expect(String(warn.mock.calls[0]![0])).not.toContain('TASK-TOKEN');
    } finally {
      warn.mockRestore();
    }
    expect(fixture.callbacks.calls).toEqual([{ method: 'fail', token: 'TASK-TOKEN-SECRET-123', error: 'Stageline.Rejected', cause: 'app-production rejected by ops@acme.io: wrong image' }]);
    expect(await fixture.gateRecord()).toMatchObject({ status: 'REJECTED' });
  });
});

describe('openGate', () => {
  it('does not re-open a gate decided while the step re-armed it', async () => {
    const fixture = await gateFixture();
    let decided = false;
    const store = hookedStore(fixture.store, {
      // An approver's decision closes the gate right after the retried step read it.
      afterGet: (key) => {
        if (decided || key !== gateKey(fixture.gate.approvalId)) return;
        decided = true;
        fixture.store.objects.set(key, serialize({ ...fixture.gate, status: 'APPROVED', outcome: 'approved by ops@acme.io' }));
      },
    });
    const retried: GateRecord = { ...fixture.gate, taskToken: 'TOKEN-OF-THE-RETRY' };
    await expect(openGate(store, retried)).rejects.toThrow(DecisionRefused);
    expect(await fixture.gateRecord()).toMatchObject({ status: 'APPROVED', taskToken: 'TASK-TOKEN-SECRET-123' });
  });

  it('re-arms a waiting gate with the new token and expiry', async () => {
    const fixture = await gateFixture();
    await openGate(fixture.store, { ...fixture.gate, taskToken: 'TOKEN-2', expiresAt: '2030-01-05T12:00:00.000Z', approvers: ['changed@acme.io'] });
    expect(await fixture.gateRecord()).toMatchObject({ status: 'WAITING', taskToken: 'TOKEN-2', expiresAt: '2030-01-05T12:00:00.000Z', approvers: ['ops@acme.io', 'lead@acme.io'] });
  });
});
