import type { ApprovalNotification } from '../../ports/notifier.js';

/**
 * What approvers are told when a gate opens. Pure text; the Notifier adapters send it (SNS email,
 * a Slack webhook, the terminal).
 *
 * Each email carries ONE personal link: the link is a bearer credential for that approver, so an
 * email that listed every approver's link would let any reader decide as any approver. With SNS,
 * publish one message per approver (message attribute `approver`) to subscriptions filtered on it.
 * The Slack message goes to a shared channel and therefore carries no link at all.
 */
export interface ApprovalEmail {
  approver: string;
  /** One line, at most 100 characters (SNS's limit for email subjects). */
  subject: string;
  body: string;
}

const SUBJECT_LIMIT = 100;

/** One email per approver, each with only that approver's link. */
export function approvalEmails(notification: ApprovalNotification): ApprovalEmail[] {
  return notification.links.map((link) => approvalEmail(notification, link.approver));
}

export function approvalEmail(notification: ApprovalNotification, approver: string): ApprovalEmail {
  const link = notification.links.find((candidate) => candidate.approver.toLowerCase() === approver.toLowerCase());
  if (!link) throw new Error(`no approval link for ${approver}`);
  const subject = oneLine(`[Stageline] Approve ${notification.service} to ${notification.env}? (${shortSha(notification.commitSha)})`).slice(0, SUBJECT_LIMIT);
  const body = [
    `${notification.triggeredBy} wants to deploy ${notification.service} to ${notification.env}, and you are one of its approvers.`,
    '',
    ...facts(notification),
    '',
    'Review the changes and decide here (your personal link, do not forward it):',
    link.url,
    '',
    `The link expires at ${notification.expiresAt}. Opening it changes nothing: the page shows the`,
    'manifest diff and the secrets and variables it uses; only the Approve or Reject button decides.',
    `With access to the store you can also run: stageline approve ${notification.runId} ${notification.env}`,
    '',
    'If you did not expect this email, do not open the link; tell the team that runs Stageline.',
  ].join('\n');
  return { approver: link.approver, subject, body: `${body}\n` };
}

/** The lines `deploy --local` prints: every link (the operator's own terminal is not a shared channel). */
export function approvalTerminalLines(notification: ApprovalNotification): string[] {
  return [
    `approval needed: ${notification.service} to ${notification.env} (run ${notification.runId}), until ${notification.expiresAt}`,
    ...notification.links.map((link) => `  ${link.approver}: ${link.url}`),
    `  or: stageline approve ${notification.runId} ${notification.env} [--as <email>] | stageline reject ${notification.runId} ${notification.env} --reason "…"`,
  ];
}

/**
 * The JSON body of a Slack incoming-webhook message: who waits for what, and where to look. It
 * holds no link (a channel is shared; the links are personal and go by email).
 */
export function slackApprovalMessage(notification: ApprovalNotification): string {
  const approvers = notification.links.map((link) => link.approver).join(', ');
  const text = `Approval needed: ${notification.service} to ${notification.env}`;
  const details = [
    `*Service:* ${slack(notification.service)}`,
    `*Environment:* ${slack(notification.env)}`,
    `*Commit:* \`${slack(shortSha(notification.commitSha))}\``,
    `*Image:* \`${slack(notification.image)}\``,
    `*Triggered by:* ${slack(notification.triggeredBy)}`,
    `*Approvers:* ${slack(approvers)}`,
    `*Expires:* ${slack(notification.expiresAt)}`,
  ].join('\n');
  return JSON.stringify({
    text: slack(text),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: oneLine(text).slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: details } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Each approver has a personal link by email. Run ${slack(notification.runId)}.` }] },
    ],
  });
}

function facts(notification: ApprovalNotification): string[] {
  return [
    `  Service:      ${notification.service}`,
    `  Environment:  ${notification.env}`,
    `  Commit:       ${notification.commitSha}`,
    `  Image:        ${notification.image}`,
    `  Triggered by: ${notification.triggeredBy}`,
    `  Run:          ${notification.runId}`,
  ];
}

function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** Slack mrkdwn: `&`, `<` and `>` are control characters (`<!channel>`, `<url|text>`). */
function slack(text: string): string {
  return oneLine(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
