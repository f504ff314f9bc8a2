import { describe, expect, it } from 'vitest';
import { approvalIdFor, openGate, readGate, type GateRecord } from '../../../../lib/pipeline/approvals/gate.js';
import { cancelKey, readRun, serialize, taskKey, type BuildEvent, type RunRecord, type RunStatus, type RunTask } from '../../../../lib/pipeline/workflow/records.js';
import { reconcileExecution } from '../../../../lib/pipeline/workflow/reconcile.js';
import { executionNameFor } from '../../../../lib/pipeline/workflow/start-pipeline.js';
import { cancelRemainingStep } from '../../../../lib/pipeline/workflow/steps.js';
import { fixedClock } from '../../../../lib/ports/clock.js';
import { memoryStore } from '../approvals/harness.js';
import { build, RecordingStarter, runTask, seedRun } from './harness.js';

/** Executions that end outside the Catch: run.json, gates and the queue lane are reconciled from the EventBridge event. */

const STATE_MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:Stageline-DeploymentStage';
const clock = fixedClock('2030-01-01T13:00:00.000Z');
const BUILD = build('abcdef0123');
const RUN = executionNameFor(BUILD);

/** AWS's documented sample of the event (detail-type "Step Functions Execution Status Change"), for one of our executions. */
function statusChange(status: string, options: { name?: string; input?: string | null; error?: string | null; cause?: string | null; stateMachineArn?: string } = {}) {
  const name = options.name ?? RUN;
  const stateMachineArn = options.stateMachineArn ?? STATE_MACHINE;
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '111111111111',
    time: '2030-01-01T12:59:59Z',
    region: 'eu-west-1',
    resources: [`${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`],
    detail: {
      executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      stateMachineArn,
      name,
      status,
      startDate: 1_893_499_200_000,
      stopDate: 1_893_502_799_000,
      input: options.input === undefined ? JSON.stringify({ runId: name, build: BUILD }) : options.input,
      inputDetails: { included: options.input !== null },
      output: null,
      outputDetails: null,
      error: options.error === undefined ? null : options.error,
      cause: options.cause === undefined ? null : options.cause,
    },
  };
}

function setup() {
  const store = memoryStore();
  const starter = new RecordingStarter();
  return { store, starter, deps: { store, clock, starter, stateMachineArn: STATE_MACHINE } };
}

function gateFor(run: RunRecord, task: RunTask): GateRecord {
  return {
    approvalId: approvalIdFor(run.runId, task.index),
    runId: run.runId,
    taskIndex: task.index,
    overlay: task.overlay,
    env: task.env,
    org: run.build.org,
    service: run.build.service,
    commitSha: run.build.commitSha,
    image: run.build.image,
    triggeredBy: run.build.triggeredBy,
    digest: task.digest,
    approvers: task.approvers ?? [],
    minApprovals: 1,
    taskToken: 'token-of-a-dead-execution',
    createdAt: '2030-01-01T12:30:00.000Z',
    expiresAt: '2030-01-04T12:30:00.000Z',
    status: 'WAITING',
  };
}

const statuses = (run: RunRecord | undefined) => run!.tasks.map((task) => task.status);
const snapshot = (store: ReturnType<typeof memoryStore>) => new Map(store.objects);

describe('reconcile-execution: a run whose execution ended outside the Catch', () => {
  it('FAILED (States.Runtime): the environment in flight fails with the cause, later ones are cancelled, the run is FAILED', async () => {
    const { store, deps } = setup();
    await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'APPLYING'), runTask(2, 'PENDING')] });
    const cause = "An error occurred while executing the state 'Run stack job'. The JSONPath '$.Payload.task' could not be found in the input";
    const outcome = await reconcileExecution(deps, statusChange('FAILED', { error: 'States.Runtime', cause }));
    expect(outcome).toEqual({ outcome: 'reconciled', runId: RUN, status: 'FAILED', gatesClosed: [] });
    const run = await readRun(store, RUN);
    expect(statuses(run)).toEqual(['SUCCEEDED', 'FAILED', 'CANCELLED']);
    expect(run!.tasks[1]).toMatchObject({ detail: `the execution failed: ${cause}`, finishedAt: '2030-01-01T13:00:00.000Z' });
    expect(run!.tasks[2]!.detail).toBe(`not deployed: the execution failed: ${cause}`);
    expect(run!.tasks[0]!.detail).toBeUndefined();
    expect(run).toMatchObject({ status: 'FAILED', finishedAt: '2030-01-01T13:00:00.000Z', failure: { env: 'app-staging', error: 'States.Runtime', cause: `the execution failed: ${cause}` } });
    // Each environment's own record follows.
    const staging = JSON.parse(store.objects.get(taskKey(RUN, 1, 'staging'))!) as RunTask;
    expect(staging.status).toBe('FAILED');
  });

  it('FAILED before any task existed (States.DataLimitExceeded in Resolve manifests): the run is FAILED, naming no environment', async () => {
    const { store, deps } = setup();
    await seedRun(store, RUN, { build: BUILD });
    await reconcileExecution(deps, statusChange('FAILED', { error: 'States.DataLimitExceeded', cause: 'The state/task returned a result with a size exceeding the maximum number of bytes service limit.' }));
    expect(await readRun(store, RUN)).toMatchObject({
      status: 'FAILED',
      failure: { error: 'States.DataLimitExceeded', cause: 'the execution failed: The state/task returned a result with a size exceeding the maximum number of bytes service limit.' },
    });
    expect((await readRun(store, RUN))!.failure!.env).toBeUndefined();
  });

  it('FAILED because "Cancel remaining environments" ran out of retries: its Lambda error message is the reason, not the JSON', async () => {
    const { store, deps } = setup();
    await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'FAILED', { detail: 'the stack job failed' }), runTask(1, 'PENDING')] });
    const cause = JSON.stringify({ errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.', trace: ['TooManyRequestsException: Rate Exceeded.', '    at ...'] });
    await reconcileExecution(deps, statusChange('FAILED', { error: 'Lambda.TooManyRequestsException', cause }));
    const run = await readRun(store, RUN);
    expect(statuses(run)).toEqual(['FAILED', 'CANCELLED']);
    // The environment that failed keeps its own reason; the run names it.
    expect(run!.tasks[0]!.detail).toBe('the stack job failed');
    expect(run).toMatchObject({ status: 'FAILED', failure: { env: 'app-dev', error: 'Lambda.TooManyRequestsException', cause: 'the execution failed: Rate Exceeded.' } });
  });

  it('TIMED_OUT: the environment in flight is TIMED_OUT, the run FAILED with States.Timeout', async () => {
    const { store, deps } = setup();
    await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'APPLYING'), runTask(1, 'PENDING')] });
    await reconcileExecution(deps, statusChange('TIMED_OUT'));
    const run = await readRun(store, RUN);
    expect(statuses(run)).toEqual(['TIMED_OUT', 'CANCELLED']);
    expect(run).toMatchObject({ status: 'FAILED', failure: { env: 'app-dev', error: 'States.Timeout', cause: 'the execution timed out' } });
  });

  it('ABORTED (a manual StopExecution) at a gate: the gate is closed, the environment and the run CANCELLED, with the StopExecution reason', async () => {
    const { store, deps } = setup();
    const seeded = await seedRun(store, RUN, {
      build: BUILD,
      tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'SUCCEEDED'), runTask(2, 'WAITING_APPROVAL', { approvalId: approvalIdFor(RUN, 2) }), runTask(3, 'PENDING')],
    });
    await openGate(store, gateFor(seeded, seeded.tasks[2]!));
    const outcome = await reconcileExecution(deps, statusChange('ABORTED', { error: 'Ops.ManualStop', cause: 'stopped from the console by ops@acme.io' }));
    expect(outcome).toMatchObject({ outcome: 'reconciled', status: 'CANCELLED', gatesClosed: [approvalIdFor(RUN, 2)] });
    const gate = (await readGate(store, approvalIdFor(RUN, 2)))!.gate;
    expect(gate).toMatchObject({ status: 'CANCELLED', outcome: 'closed: the execution was stopped: stopped from the console by ops@acme.io' });
    const run = await readRun(store, RUN);
    expect(statuses(run)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'CANCELLED', 'CANCELLED']);
    expect(run!.tasks[2]!.detail).toBe('the execution was stopped: stopped from the console by ops@acme.io');
    expect(run).toMatchObject({ status: 'CANCELLED', failure: { env: 'app-production', error: 'Ops.ManualStop' } });
  });

  it('ABORTED with no reason given; a gate opened before its task recorded it is closed too', async () => {
    const { store, deps } = setup();
    // Wait for approval stored the gate, then the function died before the task said WAITING_APPROVAL.
    const seeded = await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'SUCCEEDED'), runTask(2, 'PENDING')] });
    await openGate(store, gateFor(seeded, seeded.tasks[2]!));
    const outcome = await reconcileExecution(deps, statusChange('ABORTED'));
    expect(outcome).toMatchObject({ outcome: 'reconciled', status: 'CANCELLED', gatesClosed: [approvalIdFor(RUN, 2)] });
    expect((await readGate(store, approvalIdFor(RUN, 2)))!.gate.status).toBe('CANCELLED');
    expect(await readRun(store, RUN)).toMatchObject({ status: 'CANCELLED', failure: { error: 'Stageline.ExecutionAborted', cause: 'the execution was stopped' } });
  });

  it('ABORTED while Stageline was superseding the run: SUPERSEDED, as the cancel marker says', async () => {
    const { store, deps } = setup();
    await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'APPLYING'), runTask(1, 'PENDING')] });
    await store.put(cancelKey(RUN), serialize({ reason: 'superseded', by: 'dev@acme.io', at: '2030-01-01T12:59:00.000Z', supersededBy: 'hello-newer' }));
    await reconcileExecution(deps, statusChange('ABORTED'));
    const run = await readRun(store, RUN);
    expect(statuses(run)).toEqual(['SUPERSEDED', 'CANCELLED']);
    expect(run).toMatchObject({ status: 'SUPERSEDED', failure: { error: 'Stageline.Superseded' } });
  });
});

describe('reconcile-execution: the queue lane moves on', () => {
  const queuedBuild = (commitSha: string, overrides: Partial<BuildEvent> = {}) => build(commitSha, overrides);

  it('starts the oldest queued run of the same service and branch, exactly as Cancel remaining environments does', async () => {
    const { store, starter, deps } = setup();
    await seedRun(store, RUN, { build: BUILD, createdAt: '2030-01-01T12:00:00.000Z', tasks: [runTask(0, 'APPLYING')] });
    await seedRun(store, 'hello-bbbbbbb2', { status: 'QUEUED', createdAt: '2030-01-01T12:01:00.000Z', build: queuedBuild('bbbbbbb2') });
    await seedRun(store, 'hello-ccccccc3', { status: 'QUEUED', createdAt: '2030-01-01T12:02:00.000Z', build: queuedBuild('ccccccc3') });
    await seedRun(store, 'hello-other-branch', { status: 'QUEUED', createdAt: '2030-01-01T12:00:30.000Z', build: queuedBuild('ddddddd4', { branch: 'feature' }) });
    const outcome = await reconcileExecution(deps, statusChange('FAILED', { error: 'States.Runtime', cause: 'boom' }));
    expect(outcome).toMatchObject({ outcome: 'reconciled', startedNext: 'hello-bbbbbbb2' });
    expect(starter.names).toEqual(['hello-bbbbbbb2']);
    expect(starter.started[0]!.input).toEqual({ runId: 'hello-bbbbbbb2', build: queuedBuild('bbbbbbb2') });
    expect((await readRun(store, 'hello-bbbbbbb2'))!.status).toBe('RUNNING');
    expect((await readRun(store, 'hello-ccccccc3'))!.status).toBe('QUEUED');
    expect((await readRun(store, 'hello-other-branch'))!.status).toBe('QUEUED');
  });
});

describe('reconcile-execution: idempotent', () => {
  it('leaves a run the Catch path already ended alone (its execution ends FAILED too), and starts nothing new', async () => {
    const { store, starter, deps } = setup();
    await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'APPLYING'), runTask(2, 'PENDING')] });
    await seedRun(store, 'hello-bbbbbbb2', { status: 'QUEUED', createdAt: '2030-01-01T12:01:00.000Z', build: build('bbbbbbb2') });
    await cancelRemainingStep({ store, clock, starter }, { runId: RUN, failure: { Error: 'Stageline.StackJobFailed', Cause: 'the provisioner exited 1' } });
    expect(starter.names).toEqual(['hello-bbbbbbb2']);
    const before = snapshot(store);
    const outcome = await reconcileExecution(deps, statusChange('FAILED', { error: 'Stageline.StackJobFailed', cause: 'the provisioner exited 1' }));
    expect(outcome).toEqual({ outcome: 'already-final', runId: RUN, status: 'FAILED' });
    expect(snapshot(store)).toEqual(before);
    expect(starter.names).toEqual(['hello-bbbbbbb2']);
  });

  it('a repeated event changes nothing', async () => {
    const { store, starter, deps } = setup();
    const seeded = await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'SUCCEEDED'), runTask(1, 'SUCCEEDED'), runTask(2, 'WAITING_APPROVAL', { approvalId: approvalIdFor(RUN, 2) })] });
    await openGate(store, gateFor(seeded, seeded.tasks[2]!));
    const event = statusChange('ABORTED');
    await reconcileExecution(deps, event);
    const before = snapshot(store);
    for (let delivery = 0; delivery < 3; delivery++) {
      expect(await reconcileExecution(deps, event)).toEqual({ outcome: 'already-final', runId: RUN, status: 'CANCELLED' });
    }
    expect(snapshot(store)).toEqual(before);
    expect(starter.names).toEqual([]);
  });

  it('a retry after an attempt that ended the run but died before starting the next one starts it', async () => {
    const { store, starter, deps } = setup();
    // The run ended (by an earlier attempt), the next run of the lane still QUEUED, nothing RUNNING.
    await seedRun(store, RUN, { build: BUILD, status: 'FAILED', tasks: [runTask(0, 'FAILED')] });
    await seedRun(store, 'hello-bbbbbbb2', { status: 'QUEUED', createdAt: '2030-01-01T12:01:00.000Z', build: build('bbbbbbb2') });
    const before = (await readRun(store, RUN))!;
    expect(await reconcileExecution(deps, statusChange('FAILED'))).toEqual({ outcome: 'already-final', runId: RUN, status: 'FAILED', startedNext: 'hello-bbbbbbb2' });
    expect(await readRun(store, RUN)).toEqual(before);
    expect(starter.names).toEqual(['hello-bbbbbbb2']);
  });
});

describe('reconcile-execution: which run an event is about', () => {
  async function seeded() {
    const context = setup();
    await seedRun(context.store, RUN, { build: BUILD, tasks: [runTask(0, 'APPLYING')] });
    return context;
  }
  const statusOf = async (store: ReturnType<typeof memoryStore>): Promise<RunStatus> => (await readRun(store, RUN))!.status;

  it('the execution name is the run id; the input (a JSON string) carries it too; without the input the name alone', async () => {
    const { store, deps } = await seeded();
    expect(await reconcileExecution(deps, statusChange('FAILED', { input: null }))).toMatchObject({ outcome: 'reconciled', runId: RUN });
    expect(await statusOf(store)).toBe('FAILED');
  });

  it('ignores an execution whose input names another run than its name, and names that are no run id', async () => {
    const { store, deps } = await seeded();
    expect(await reconcileExecution(deps, statusChange('FAILED', { input: JSON.stringify({ runId: 'hello-someone-else' }) }))).toMatchObject({ outcome: 'ignored' });
    expect(await reconcileExecution(deps, statusChange('FAILED', { name: '../../config/organization', input: '{}' }))).toMatchObject({ outcome: 'ignored' });
    expect(await statusOf(store)).toBe('RUNNING');
  });

  it('ignores other state machines, statuses that need nothing, runs that do not exist and events of another shape', async () => {
    const { store, deps } = await seeded();
    expect(await reconcileExecution(deps, statusChange('FAILED', { stateMachineArn: `${STATE_MACHINE}-other` }))).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/another state machine/) });
    expect(await reconcileExecution(deps, statusChange('SUCCEEDED'))).toMatchObject({ outcome: 'ignored' });
    expect(await reconcileExecution(deps, statusChange('RUNNING'))).toMatchObject({ outcome: 'ignored' });
    expect(await reconcileExecution(deps, statusChange('FAILED', { name: 'hello-0000000-000000000000', input: null }))).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/does not exist/) });
    expect(await reconcileExecution(deps, { source: 'aws.states', detail: {} })).toMatchObject({ outcome: 'ignored' });
    expect(await statusOf(store)).toBe('RUNNING');
  });
});

describe('functions/reconcile-execution handler', () => {
  it('reconciles the event it is given and logs one line with the outcome', async () => {
    const { makeHandler } = await import('../../../../functions/reconcile-execution/handler.js');
    const { store, deps } = setup();
    await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'APPLYING')] });
    const lines: string[] = [];
    const outcome = await makeHandler({ ...deps, log: (line) => lines.push(line) })(statusChange('FAILED', { error: 'States.Runtime', cause: 'boom' }));
    expect(outcome).toMatchObject({ outcome: 'reconciled', runId: RUN, status: 'FAILED' });
    expect(lines).toEqual([`reconcile-execution: ${JSON.stringify(outcome)}`]);
  });
});
