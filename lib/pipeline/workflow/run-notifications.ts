import type { RunEvent } from './run-events.js';

/** A message for people: what the built-in notifications (the organization's Slack webhook, the SNS topic) send. */
export interface RunNotification {
  subject: string;
  text: string;
}

/**
 * The run events people are told about: a failed run, an environment rejected or whose gate timed
 * out, and a gate waiting for approval. Everything else (a run starting, an environment applying)
 * is for tools, not people. Never a link: approvers get theirs in the approval email, personally.
 */
export function notificationFor(event: RunEvent): RunNotification | undefined {
  const { detail } = event;
  const build = `${detail.service} ${detail.commitSha.slice(0, 12)} (${detail.branch})`;
  switch (event.detailType) {
    case 'Run Status Change':
      if (event.detail.status !== 'FAILED') return undefined;
      return {
        subject: `Stageline: ${detail.service} run failed${event.detail.failure?.env ? ` at ${event.detail.failure.env}` : ''}`,
        text: `Run ${detail.runId} of ${build} failed${event.detail.failure?.env ? ` at ${event.detail.failure.env}` : ''}: ${event.detail.failure?.cause ?? 'no reason recorded'}. Later environments were cancelled. Details: stageline status ${detail.runId}`,
      };
    case 'Environment Status Change':
      if (event.detail.status !== 'REJECTED' && event.detail.status !== 'TIMED_OUT') return undefined;
      return {
        subject: `Stageline: ${detail.service} ${event.detail.status === 'REJECTED' ? 'rejected' : 'approval timed out'} at ${event.detail.env}`,
        text: `${build} was ${event.detail.status === 'REJECTED' ? 'rejected' : 'not approved in time'} at ${event.detail.env} (run ${detail.runId})${event.detail.detail ? `: ${event.detail.detail}` : ''}.`,
      };
    case 'Approval Requested':
      return {
        subject: `Stageline: ${detail.service} waits for approval at ${event.detail.env}`,
        text: `${build} → ${detail.image} waits for ${event.detail.minApprovals} approval${event.detail.minApprovals === 1 ? '' : 's'} at ${event.detail.env} (run ${detail.runId}; approvers: ${event.detail.approvers.join(', ') || 'none'}). Approvers have their personal link by email; or stageline approve ${detail.runId} ${event.detail.env}.`,
      };
  }
}
