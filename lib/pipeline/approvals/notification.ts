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
  /** One line of fewer than 100 characters (SNS refuses a longer subject): see {@link approvalSubject}. */
  subject: string;
  body: string;
}

/** SNS Publish: "Subjects must be ... less than 100 characters long" — a longer one fails the publish. */
export const SUBJECT_MAX_CHARACTERS = 99;

/** One email per approver, each with only that approver's link. */
export function approvalEmails(notification: ApprovalNotification): ApprovalEmail[] {
  return notification.links.map((link) => approvalEmail(notification, link.approver));
}

export function approvalEmail(notification: ApprovalNotification, approver: string): ApprovalEmail {
  const link = notification.links.find((candidate) => candidate.approver.toLowerCase() === approver.toLowerCase());
  if (!link) throw new Error(`no approval link for ${approver}`);
  const subject = approvalSubject(notification);
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

/**
 * `[Stageline] Approve <service> to <env>? (<sha7>)`, kept under SNS's limit without losing who
 * and where: the commit goes first (the body has it), then the longer name — or both — is shortened
 * in the middle (`payments-xx...x-reconciler`), keeping the start and the end that tell names apart.
 */
export function approvalSubject(notification: Pick<ApprovalNotification, 'service' | 'env' | 'commitSha'>): string {
  const service = oneLine(notification.service);
  const env = oneLine(notification.env);
  const subject = (serviceText: string, envText: string) => `[Stageline] Approve ${serviceText} to ${envText}?`;
  const full = `${subject(service, env)} (${shortSha(oneLine(notification.commitSha))})`;
  if (length(full) <= SUBJECT_MAX_CHARACTERS) return full;
  if (length(subject(service, env)) <= SUBJECT_MAX_CHARACTERS) return subject(service, env);

  // Both names share what is left; a name shorter than its half stays whole and lends the rest.
  const budget = SUBJECT_MAX_CHARACTERS - length(subject('', ''));
  const half = Math.floor(budget / 2);
  let serviceBudget = half;
  if (length(service) < half) serviceBudget = length(service);
  else if (length(env) < budget - half) serviceBudget = budget - length(env);
  return subject(shortenMiddle(service, serviceBudget), shortenMiddle(env, budget - serviceBudget));
}

/** Characters as a reader counts them (code points, so a surrogate pair is never split). */
function length(text: string): number {
  return Array.from(text).length;
}

function shortenMiddle(text: string, max: number): string {
  const characters = Array.from(text);
  if (characters.length <= max) return text;
  const keep = Math.max(max - 3, 0);
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  return `${characters.slice(0, head).join('')}...${tail > 0 ? characters.slice(-tail).join('') : ''}`;
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
