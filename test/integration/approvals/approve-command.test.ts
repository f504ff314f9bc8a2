import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryArtifactStore } from '../../../lib/adapters/local/directory-artifact-store.js';
import { FileTaskCallbacks } from '../../../lib/adapters/local/file-task-callbacks.js';
import { approveCommand } from '../../../lib/cli/commands/approve.js';
import { cancelKey, serialize } from '../../../lib/pipeline/workflow/records.js';
import { captureIo } from '../../unit/pipeline/capture-io.js';
import { gateFixture, RUN_ID } from '../../unit/pipeline/approvals/harness.js';

const options = { runId: RUN_ID, env: 'app-production', project: '.' };

describe('stageline approve | reject', () => {
  it('approves as --as, via cli, completing a 1-of-n gate', async () => {
    const fixture = await gateFixture();
    const io = captureIo('/work');

    await approveCommand({ ...options, decision: 'approve', as: 'Ops@acme.io' }, io, { store: fixture.store, callbacks: fixture.callbacks, clock: fixture.clock });

    expect(io.stdout).toEqual(['approved: hello → app-production (run run-1) by ops@acme.io; the deployment continues']);
    expect(await fixture.decisions()).toMatchObject([{ approver: 'ops@acme.io', decision: 'approve', via: 'cli' }]);
    expect(fixture.callbacks.calls.map((call) => call.method)).toEqual(['succeed']);
  });

  it('reports progress toward a quorum', async () => {
    const fixture = await gateFixture({ minApprovals: 2 });
    const io = captureIo('/work');

    await approveCommand({ ...options, decision: 'approve' }, io, { store: fixture.store, callbacks: fixture.callbacks, clock: fixture.clock, identity: 'lead@acme.io' });

    expect(io.stdout[0]).toContain('1 of 2 approvals');
    expect(fixture.callbacks.calls).toEqual([]);
  });

  it('rejects with a reason; refuses a rejection without one', async () => {
    const fixture = await gateFixture();
    const deps = { store: fixture.store, callbacks: fixture.callbacks, clock: fixture.clock, identity: 'lead@acme.io' };

    await expect(approveCommand({ ...options, decision: 'reject' }, captureIo('/work'), deps)).rejects.toThrow(/needs a reason/);
    await approveCommand({ ...options, decision: 'reject', reason: 'wrong image' }, captureIo('/work'), deps);

    expect(fixture.callbacks.calls).toMatchObject([{ method: 'fail', error: 'Stageline.Rejected' }]);
  });

  it('applies separation of duties and the approver list', async () => {
    const fixture = await gateFixture({ triggeredBy: 'ops@acme.io' });
    const deps = { store: fixture.store, callbacks: fixture.callbacks, clock: fixture.clock };

    await expect(approveCommand({ ...options, decision: 'approve', as: 'ops@acme.io' }, captureIo('/work'), deps)).rejects.toThrow(/separation of duties/);
    await expect(approveCommand({ ...options, decision: 'approve', as: 'mallory@acme.io' }, captureIo('/work'), deps)).rejects.toThrow(/not an approver/);
    expect(await fixture.decisions()).toEqual([]);
    expect(fixture.callbacks.calls).toEqual([]);
  });

  it('names the problem: unknown environment, ungated environment, superseded run', async () => {
    const fixture = await gateFixture();
    const deps = { store: fixture.store, callbacks: fixture.callbacks, clock: fixture.clock, identity: 'ops@acme.io' };

    await expect(approveCommand({ ...options, env: 'app-qa', decision: 'approve' }, captureIo('/work'), deps)).rejects.toThrow(/no environment app-qa/);
    await expect(approveCommand({ ...options, env: 'app-dev', decision: 'approve' }, captureIo('/work'), deps)).rejects.toThrow(/no approval gate/);
    await fixture.store.put(cancelKey(RUN_ID), serialize({ reason: 'superseded', by: 'stageline', at: 'now', supersededBy: 'run-2' }));
    await expect(approveCommand({ ...options, decision: 'approve' }, captureIo('/work'), deps)).rejects.toThrow(/superseded by run-2/);
    expect(fixture.callbacks.calls).toEqual([]);
  });
});

describe('stageline approve against the local store (--state-dir)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('uses the DirectoryArtifactStore and the file callbacks', async () => {
    const fixture = await gateFixture();
    dir = await mkdtemp(join(tmpdir(), 'stageline-approve-'));
    const store = new DirectoryArtifactStore(join(dir, 'store'));
    for (const [key, body] of fixture.store.objects) await store.put(key, body);

    await approveCommand({ ...options, decision: 'approve', as: 'ops@acme.io', stateDir: join(dir, 'store') }, captureIo(dir));

    expect(await new FileTaskCallbacks(store).read(fixture.gate.taskToken)).toEqual({ type: 'success', output: { approvedBy: ['ops@acme.io'] } });
  });
});
