import { mockClient } from 'aws-sdk-client-mock';
import { CodeBuildClient, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { describe, expect, it } from 'vitest';
import { CodeBuildStackJobLauncher } from '../../../../lib/adapters/aws/codebuild-stack-job-launcher.js';
import { readRun } from '../../../../lib/pipeline/workflow/records.js';
import { reconcileExecution } from '../../../../lib/pipeline/workflow/reconcile.js';
import { executionNameFor } from '../../../../lib/pipeline/workflow/start-pipeline.js';
import { cancelRemainingStep } from '../../../../lib/pipeline/workflow/steps.js';
import { fixedClock } from '../../../../lib/ports/clock.js';
import { WorkflowErrors } from '../../../../lib/ports/task-callbacks.js';
import { memoryStore } from '../approvals/harness.js';
import { build, runTask, seedRun } from './harness.js';

/** A stack job lives or dies with its step: in AWS the build is stopped (StopBuild) when the step times out, the run is cancelled, or its execution ends. */
const clock = fixedClock('2030-01-01T13:00:00.000Z');
const BUILD = build('abcdef0123');
const RUN = executionNameFor(BUILD);
const JOB = 'stageline-runner:0b9c1e5a-1111-2222-3333-444455556666';

function recordingStopper() {
  const stopped: { jobId: string; reason: string }[] = [];
  return { stopped, stop: async (jobId: string, reason: string) => void stopped.push({ jobId, reason }) };
}

describe('stopping the stack job of a stopped run', () => {
  it('Cancel remaining environments (a stack-job step that timed out) stops the build still applying', async () => {
    const store = memoryStore();
    await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'APPLYING', { stackJobId: JOB }), runTask(1, 'PENDING')] });
    const stopper = recordingStopper();

    await cancelRemainingStep({ store, clock, jobStopper: stopper }, { runId: RUN, failure: { Error: WorkflowErrors.Timeout, Cause: 'the stack job timed out' } });

    expect(stopper.stopped).toEqual([{ jobId: JOB, reason: 'the run stopped: the stack job timed out' }]);
    expect((await readRun(store, RUN))!.tasks.map((task) => task.status)).toEqual(['FAILED', 'CANCELLED']);
  });

  it('a job that already reported (its task is final) is not stopped', async () => {
    const store = memoryStore();
    await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'FAILED', { stackJobId: JOB }), runTask(1, 'PENDING')] });
    const stopper = recordingStopper();
    await cancelRemainingStep({ store, clock, jobStopper: stopper }, { runId: RUN, failure: { Error: WorkflowErrors.StackJobFailed, Cause: 'apply failed' } });
    expect(stopper.stopped).toEqual([]);
  });

  it('a stop that fails does not keep the run from being recorded', async () => {
    const store = memoryStore();
    await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'APPLYING', { stackJobId: JOB })] });
    const failing = { stop: async () => Promise.reject(new Error('AccessDeniedException')) };
    await cancelRemainingStep({ store, clock, jobStopper: failing }, { runId: RUN, failure: { Error: WorkflowErrors.Cancelled, Cause: 'cancelled by ops@acme.io' } });
    expect((await readRun(store, RUN))!.status).toBe('CANCELLED');
  });

  it('reconcile-execution (an execution aborted mid-apply) stops the build before ending the run', async () => {
    const store = memoryStore();
    await seedRun(store, RUN, { build: BUILD, tasks: [runTask(0, 'APPLYING', { stackJobId: JOB })] });
    const stopper = recordingStopper();
    const event = { source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { name: RUN, status: 'ABORTED', input: JSON.stringify({ runId: RUN, build: BUILD }) } };
    const outcome = await reconcileExecution({ store, clock, jobStopper: stopper }, event);
    expect(outcome).toMatchObject({ outcome: 'reconciled', status: 'CANCELLED' });
    expect(stopper.stopped).toEqual([{ jobId: JOB, reason: 'the execution was stopped' }]);
  });
});

describe('CodeBuildStackJobLauncher.stop', () => {
  it('calls StopBuild for a build of its project; an already finished build is no error', async () => {
    const codebuild = mockClient(CodeBuildClient);
    codebuild.on(StopBuildCommand).resolvesOnce({}).rejectsOnce(Object.assign(new Error('Build is not in progress'), { name: 'InvalidInputException' }));
    const launcher = new CodeBuildStackJobLauncher({ projectName: 'stageline-runner', store: memoryStore(), client: new CodeBuildClient({ region: 'eu-west-1' }) });
    await launcher.stop(JOB);
    await launcher.stop(JOB);
    expect(codebuild.commandCalls(StopBuildCommand).map((call) => call.args[0].input)).toEqual([{ id: JOB }, { id: JOB }]);
    codebuild.restore();
  });

  it("refuses to stop a build of another project (a tampered stackJobId)", async () => {
    const codebuild = mockClient(CodeBuildClient);
    const launcher = new CodeBuildStackJobLauncher({ projectName: 'stageline-runner', store: memoryStore(), client: new CodeBuildClient({ region: 'eu-west-1' }) });
    await expect(launcher.stop('prod-database-migrations:1234')).rejects.toThrow(/is not a build of CodeBuild project stageline-runner; not stopped/);
    expect(codebuild.commandCalls(StopBuildCommand)).toHaveLength(0);
    codebuild.restore();
  });
});
