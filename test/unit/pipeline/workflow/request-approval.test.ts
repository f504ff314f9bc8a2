import { describe, expect, it } from 'vitest';
import { approvalIdFor, gateKey, type GateRecord } from '../../../../lib/pipeline/approvals/gate.js';
import { requestCancel } from '../../../../lib/pipeline/workflow/cancellation.js';
import { cancelKey, readRun, serialize, updateTask } from '../../../../lib/pipeline/workflow/records.js';
import { cancelRemainingStep, requestApprovalStep, type ApprovalStepDeps } from '../../../../lib/pipeline/workflow/steps.js';
import { fixedClock } from '../../../../lib/ports/clock.js';
import { memoryStore, recordingCallbacks } from '../approvals/harness.js';
import { build, hookedStore, recordingNotifier, runTask, seedRun, workflowTask } from './harness.js';

const RUN = 'hello-abcdef012345-000000000001';
const clock = fixedClock('2030-01-01T12:00:00.000Z');
const approvalId = approvalIdFor(RUN, 2);
const readGateRecord = async (store: ReturnType<typeof memoryStore>) => JSON.parse((await store.get(gateKey(approvalId)))!.body) as GateRecord;

function stepDeps(store: ReturnType<typeof memoryStore>, extra: Partial<ApprovalStepDeps> = {}) {
  const notifier = recordingNotifier();
  const deps: ApprovalStepDeps = { store, clock, notifier, approvalLinks: () => [], ...extra };
  return { deps, notifier };
}

async function seedAtProduction(store: ReturnType<typeof memoryStore>, options: { triggeredBy?: string; approvers?: string[]; minApprovals?: number } = {}) {
  const production = runTask(2, 'PENDING', { approvers: options.approvers ?? ['ops@acme.io', 'lead@acme.io'], minApprovals: options.minApprovals ?? 1 });
  await seedRun(store, RUN, {
    build: build('abcdef0123', { triggeredBy: options.triggeredBy ?? 'dev@acme.io' }),
    tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'SUCCEEDED'), production, runTask(3, 'PENDING')],
  });
  return { runId: RUN, task: workflowTask(production), taskToken: 'TOKEN-1' };
}

describe('Wait for approval vs a cancel or supersede landing as the gate opens', () => {
  it('the step closes its own gate and fails when the cancel marker appears while it opens the gate', async () => {
    const store = hookedStore(memoryStore(), {});
    const input = await seedAtProduction(store);
    // requestCancel wrote the marker after the step's first check and read the run before the task was WAITING_APPROVAL.
    store.hooks.afterPut = async (key) => {
      if (key !== gateKey(approvalId) || (await store.get(cancelKey(RUN)))) return;
      await store.put(cancelKey(RUN), serialize({ reason: 'superseded', by: 'dev@acme.io', at: clock.now().toISOString(), supersededBy: 'hello-newer' }));
    };
    const { deps, notifier } = stepDeps(store);
    const failure = await requestApprovalStep(deps, input).then(() => undefined, (error: Error) => error);
    expect(failure?.name).toBe('Stageline.Superseded');
    expect(failure?.message).toBe('superseded by run hello-newer');
    expect(await readGateRecord(store)).toMatchObject({ status: 'SUPERSEDED', outcome: 'superseded by run hello-newer' });
    expect(notifier.notifications).toEqual([]);
  });

  it('requestCancel looks for waiting gates in the run as it is after the marker was written', async () => {
    const store = hookedStore(memoryStore(), {});
    const input = await seedAtProduction(store);
    const callbacks = recordingCallbacks();
    // The step opened the gate and marked the task after requestCancel read the run, before the marker landed.
    store.hooks.afterPut = async (key) => {
      if (key !== cancelKey(RUN)) return;
      store.hooks.afterPut = undefined;
      const gate: GateRecord = {
        approvalId, runId: RUN, taskIndex: 2, overlay: 'production', env: 'app-production', org: 'acme', service: 'hello', commitSha: 'abcdef0123',
        image: 'hello:abcdef0123', triggeredBy: 'dev@acme.io', digest: input.task.digest, approvers: ['ops@acme.io'], minApprovals: 1,
        taskToken: 'TOKEN-1', createdAt: clock.now().toISOString(), expiresAt: '2030-01-02T12:00:00.000Z', status: 'WAITING',
      };
      await store.put(gateKey(approvalId), serialize(gate));
      await updateTask(store, RUN, 2, (task) => {
        task.status = 'WAITING_APPROVAL';
        task.approvalId = approvalId;
      }, clock.now());
    };
    await requestCancel({ store, clock, callbacks }, RUN, { reason: 'cancelled', by: 'ops@acme.io' });
    expect(callbacks.calls).toEqual([{ method: 'fail', token: 'TOKEN-1', error: 'Stageline.Cancelled', cause: 'cancelled by ops@acme.io' }]);
    expect(await readGateRecord(store)).toMatchObject({ status: 'CANCELLED' });
  });
});

describe('Wait for approval: a gate nobody may approve fails at once', () => {
  it('fails with Stageline.GateUnsatisfiable when the approvers other than the trigger are fewer than minApprovals', async () => {
    const store = memoryStore();
    const input = await seedAtProduction(store, { triggeredBy: 'OPS@acme.io', minApprovals: 2 });
    const { deps, notifier } = stepDeps(store);
    const failure = await requestApprovalStep(deps, input).then(() => undefined, (error: Error) => error);
    expect(failure?.name).toBe('Stageline.GateUnsatisfiable');
    expect(failure?.message).toBe(
      'gate app-production can never be approved: it needs 2 approvals from ops@acme.io, lead@acme.io, and OPS@acme.io triggered the build and may not approve it (separation of duties), which leaves 1',
    );
    expect(notifier.notifications).toEqual([]);
    expect(await store.get(gateKey(approvalId))).toBeUndefined();

    // Cancel remaining environments: production FAILED with that message, the next one CANCELLED.
    await cancelRemainingStep({ store, clock }, { runId: RUN, failure: { Error: failure!.name, Cause: failure!.message } });
    const run = (await readRun(store, RUN))!;
    expect(run.tasks.map((task) => task.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED', 'CANCELLED']);
    expect(run.tasks[2]!.detail).toBe(failure!.message);
    expect(run).toMatchObject({ status: 'FAILED', failure: { env: 'app-production', error: 'Stageline.GateUnsatisfiable', cause: failure!.message } });
  });

  it('a gate without approvers is unsatisfiable too', async () => {
    const store = memoryStore();
    const input = await seedAtProduction(store, { approvers: [] });
    const failure = await requestApprovalStep(stepDeps(store).deps, input).then(() => undefined, (error: Error) => error);
    expect(failure?.name).toBe('Stageline.GateUnsatisfiable');
    expect(failure?.message).toBe('gate app-production can never be approved: it needs 1 approval and lists no approvers');
  });

  it('opens the gate when enough approvers remain, or when the operator answers gates (local mode)', async () => {
    const satisfiable = memoryStore();
    const input = await seedAtProduction(satisfiable, { triggeredBy: 'dev@acme.io', minApprovals: 2 });
    const first = stepDeps(satisfiable);
    expect(await requestApprovalStep(first.deps, input)).toEqual({ approvalId });
    expect(first.notifier.notifications).toHaveLength(1);

    const local = memoryStore();
    const localInput = await seedAtProduction(local, { triggeredBy: 'ops@acme.io', minApprovals: 2 });
    expect(await requestApprovalStep(stepDeps(local, { operatorDecides: true }).deps, localInput)).toEqual({ approvalId });
    expect(await readGateRecord(local)).toMatchObject({ status: 'WAITING' });
  });
});
