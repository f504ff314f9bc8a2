import { createHash } from 'node:crypto';
import { CodeBuildClient, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { StagelineError } from '../../errors.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { StackJobLauncher, StackJobRequest } from '../../ports/stack-job-launcher.js';

/** The environment variable that tells the runner (`stageline stack-job run`) where its job is. */
export const STACK_JOB_KEY_VARIABLE = 'STAGELINE_JOB_KEY';

/** runs/<runId>/jobs/<index>-<overlay>.json: one stack job's request, read by the runner. */
export const stackJobKey = (request: Pick<StackJobRequest, 'runId' | 'taskIndex' | 'overlay'>) =>
  `runs/${request.runId}/jobs/${request.taskIndex}-${request.overlay}.json`;

export interface CodeBuildStackJobLauncherOptions {
  /** The CodeBuild project that runs `stageline stack-job run`. */
  projectName: string;
  /** The bucket the job is written to (the runner reads it from there). */
  store: ArtifactStore;
  client?: CodeBuildClient;
}

/**
 * StackJobLauncher over CodeBuild: one build of the runner project per stack job. The job
 * (keys, digest, task token — no manifest, no secret) is written to the bucket and the build
 * gets only its key: a CodeBuild environment override is readable by anyone allowed
 * codebuild:BatchGetBuilds, and the task token is the step's capability.
 *
 * The idempotency token is derived from `runId:taskIndex:digest` — not from the task token: a
 * retried Task attempt gets a new task token, so a retry after a StartBuild that succeeded would
 * start a second build. With it, a retry within CodeBuild's 5-minute idempotency window gets the
 * same build back; the job file is rewritten with the newest token on every launch, and the
 * runner re-reads it before each report (runner-wiring's latest-token callbacks).
 */
export class CodeBuildStackJobLauncher implements StackJobLauncher {
  private readonly client: CodeBuildClient;

  constructor(private readonly options: CodeBuildStackJobLauncherOptions) {
    this.client = options.client ?? new CodeBuildClient({});
  }

  async launch(request: StackJobRequest): Promise<{ jobId: string }> {
    const key = stackJobKey(request);
    await this.options.store.put(key, `${JSON.stringify(request)}\n`);
    const response = await this.client.send(
      new StartBuildCommand({
        projectName: this.options.projectName,
        idempotencyToken: idempotencyTokenFor(request),
        environmentVariablesOverride: [{ name: STACK_JOB_KEY_VARIABLE, value: key, type: 'PLAINTEXT' }],
      }),
    );
    const id = response.build?.id;
    if (!id) throw new StagelineError('STACK_JOB_LAUNCH_FAILED', `CodeBuild project ${this.options.projectName} started no build for ${request.service} → ${request.env}`);
    return { jobId: id };
  }

  /**
   * Stops the build (StopBuild): CodeBuild ends its container, so the runner and every command it
   * started go together. A build of another project is refused (the id names its project: a jobId
   * read from a tampered run record must not stop someone else's build); a build that already
   * ended (or no longer exists) is no error. Needs `codebuild:StopBuild` on the runner project.
   */
  async stop(jobId: string): Promise<void> {
    if (!jobId.startsWith(`${this.options.projectName}:`)) {
      throw new StagelineError('STACK_JOB_STOP_REFUSED', `stack job ${jobId} is not a build of CodeBuild project ${this.options.projectName}; not stopped`);
    }
    try {
      await this.client.send(new StopBuildCommand({ id: jobId }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      // Already finished: CodeBuild answers InvalidInputException ("Build ... is not in progress"); gone: ResourceNotFoundException.
      if (name === 'InvalidInputException' || name === 'ResourceNotFoundException') return;
      throw error;
    }
  }
}

/** One build per run, task and manifest, whatever the attempt (hex, 64 characters). */
export function idempotencyTokenFor(request: Pick<StackJobRequest, 'runId' | 'taskIndex' | 'digest'>): string {
  return createHash('sha256').update(`${request.runId}:${request.taskIndex}:${request.digest}`).digest('hex');
}
