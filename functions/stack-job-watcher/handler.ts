import { STACK_JOB_KEY_VARIABLE } from '../../lib/adapters/aws/codebuild-stack-job-launcher.js';
import { reportBuildEnded, type BuildOutcomeAction, type BuildOutcomeDeps } from '../../lib/pipeline/stack-job/build-outcome.js';

/**
 * The fields of an EventBridge "CodeBuild Build State Change" event (source `aws.codebuild`) the
 * watcher reads. The event lists the build's environment variables, including the launcher's
 * `STAGELINE_JOB_KEY` override (never the task token: that stays in the bucket).
 */
export interface CodeBuildStateChangeEvent {
  source?: string;
  'detail-type'?: string;
  detail?: {
    'build-status'?: string;
    'build-id'?: string;
    'project-name'?: string;
    'additional-information'?: {
      environment?: {
        'environment-variables'?: { name?: string; value?: string; type?: string }[];
      };
    };
  };
}

/** "A runner build ended": fail its waiting step at once when the runner did not report (DESIGN §5). */
export const makeHandler = (deps: BuildOutcomeDeps) => (event: CodeBuildStateChangeEvent): Promise<BuildOutcomeAction> => {
  const detail = event.detail ?? {};
  const variables = detail['additional-information']?.environment?.['environment-variables'] ?? [];
  // PLAINTEXT only: the launcher sets it so; a PARAMETER_STORE / SECRETS_MANAGER variable's value is a name, not the key.
  const jobKey = variables.find((variable) => variable.name === STACK_JOB_KEY_VARIABLE && (variable.type ?? 'PLAINTEXT') === 'PLAINTEXT')?.value;
  return reportBuildEnded(deps, {
    jobKey,
    buildStatus: detail['build-status'] ?? 'UNKNOWN',
    buildId: detail['build-id'] ?? '(unknown build)',
  });
};

/** The log keys of a build event: the run (from the job key `runs/<runId>/jobs/…`), never another variable of the build. */
export function buildEventKeys(event: CodeBuildStateChangeEvent): { runId?: string } {
  const variables = event.detail?.['additional-information']?.environment?.['environment-variables'] ?? [];
  const jobKey = variables.find((variable) => variable.name === STACK_JOB_KEY_VARIABLE)?.value;
  const runId = /^runs\/([^/]+)\/jobs\//.exec(jobKey ?? '')?.[1];
  return runId ? { runId } : {};
}
