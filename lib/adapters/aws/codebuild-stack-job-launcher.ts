import { createHash } from 'node:crypto';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { StagelineError } from '../../errors.js';
import type { StackJobLauncher, StackJobRequest } from '../../ports/stack-job-launcher.js';

/** The environment variable the runner (`stageline stack-job run`) reads its job from. */
export const STACK_JOB_VARIABLE = 'STAGELINE_JOB';

export interface CodeBuildStackJobLauncherOptions {
  /** The CodeBuild project that runs `stageline stack-job run`. */
  projectName: string;
  client?: CodeBuildClient;
}

/**
 * StackJobLauncher over CodeBuild: one build of the runner project per stack job, the job
 * (keys, digest, task token: no manifest, no secret) in STAGELINE_JOB. The idempotency token is
 * derived from the task token, so a retried launch step (Lambda retry) does not start a second
 * build within CodeBuild's 5-minute idempotency window.
 */
export class CodeBuildStackJobLauncher implements StackJobLauncher {
  private readonly client: CodeBuildClient;

  constructor(private readonly options: CodeBuildStackJobLauncherOptions) {
    this.client = options.client ?? new CodeBuildClient({});
  }

  async launch(request: StackJobRequest): Promise<{ jobId: string }> {
    const response = await this.client.send(
      new StartBuildCommand({
        projectName: this.options.projectName,
        idempotencyToken: createHash('sha256').update(request.taskToken).digest('hex').slice(0, 64),
        environmentVariablesOverride: [{ name: STACK_JOB_VARIABLE, value: JSON.stringify(request), type: 'PLAINTEXT' }],
      }),
    );
    const id = response.build?.id;
    if (!id) throw new StagelineError('STACK_JOB_LAUNCH_FAILED', `CodeBuild project ${this.options.projectName} started no build for ${request.service} → ${request.env}`);
    return { jobId: id };
  }
}
