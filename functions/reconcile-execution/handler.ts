import { reconcileExecution, type ReconcileDeps, type ReconcileOutcome } from '../../lib/pipeline/workflow/reconcile.js';

/**
 * "An execution ended outside the workflow's Catch" (EventBridge `aws.states` Step Functions
 * Execution Status Change, FAILED / TIMED_OUT / ABORTED of the deployment-stage state machine):
 * the run, its gates and its queue lane are reconciled. One log line per event (ids, statuses and
 * Step Functions' own error text: never a secret, DESIGN §5).
 */
export const makeHandler = (deps: ReconcileDeps & { log: (line: string) => void }) => async (event: unknown): Promise<ReconcileOutcome> => {
  const outcome = await reconcileExecution(deps, event);
  deps.log(`reconcile-execution: ${JSON.stringify(outcome)}`);
  return outcome;
};

/** The log keys of a Step Functions Execution Status Change event: the run (the execution's name) and the execution's ARN. */
export function executionEventKeys(event: unknown): { runId?: string; execution?: string } {
  const detail = (event as { detail?: { name?: unknown; executionArn?: unknown } } | undefined)?.detail;
  return {
    ...(typeof detail?.name === 'string' ? { runId: detail.name } : {}),
    ...(typeof detail?.executionArn === 'string' ? { execution: detail.executionArn } : {}),
  };
}
