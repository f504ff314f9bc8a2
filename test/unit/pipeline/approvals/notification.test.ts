import { describe, expect, it } from 'vitest';
import { approvalEmail, approvalEmails, approvalTerminalLines, slackApprovalMessage } from '../../../../lib/pipeline/approvals/notification.js';
import type { ApprovalNotification } from '../../../../lib/ports/notifier.js';

const NOTIFICATION: ApprovalNotification = {
  service: 'hello',
  env: 'app-production',
  runId: 'run-1',
  commitSha: 'abcdef0123456789abcdef0123456789abcdef01',
  image: 'registry.example/hello:abcdef0',
  triggeredBy: 'dev@acme.io',
  links: [
    { approver: 'ops@acme.io', url: 'https://approve.example/a/id1?approver=ops%40acme.io&exp=1&sig=k1.OPS' },
    { approver: 'lead@acme.io', url: 'https://approve.example/a/id1?approver=lead%40acme.io&exp=1&sig=k1.LEAD' },
  ],
  expiresAt: '2030-01-04T12:00:00.000Z',
};

describe('approval notifications', () => {
  it('one email per approver, each with only its own personal link', () => {
    const emails = approvalEmails(NOTIFICATION);

    expect(emails.map((email) => email.approver)).toEqual(['ops@acme.io', 'lead@acme.io']);
    expect(emails[0]!.body).toContain('sig=k1.OPS');
    expect(emails[0]!.body).not.toContain('sig=k1.LEAD');
    expect(emails[1]!.body).toContain('sig=k1.LEAD');
    expect(emails[1]!.body).not.toContain('sig=k1.OPS');
  });

  it('says what is deployed where, by whom, and until when', () => {
    const email = approvalEmail(NOTIFICATION, 'OPS@acme.io');

    expect(email.subject).toBe('[Stageline] Approve hello to app-production? (abcdef0)');
    expect(email.body).toContain('dev@acme.io wants to deploy hello to app-production');
    expect(email.body).toContain('registry.example/hello:abcdef0');
    expect(email.body).toContain('abcdef0123456789abcdef0123456789abcdef01');
    expect(email.body).toContain('expires at 2030-01-04T12:00:00.000Z');
    expect(email.body).toContain('Opening it changes nothing');
  });

  it('the subject is one line of fewer than 100 characters (SNS refuses longer ones)', () => {
    const email = approvalEmail({ ...NOTIFICATION, service: `evil\nBcc: x@y.z ${'s'.repeat(200)}` }, 'ops@acme.io');
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject.length).toBeLessThan(100);
  });

  it('with the longest names (63-character service and environment) the subject still names both, shortened in the middle', () => {
    const service = `payments-${'x'.repeat(44)}-reconciler`; // 63 characters
    const env = `app-${'y'.repeat(45)}-production-eu`; // 63 characters
    const email = approvalEmail({ ...NOTIFICATION, service, env }, 'ops@acme.io');
    expect(email.subject.length).toBeLessThan(100);
    expect(email.subject).toMatch(/^\[Stageline\] Approve payments-x+\.\.\.x*-reconciler to app-y+\.\.\.y*-production-eu\?$/);
  });

  it('a long environment with a short service: the service stays whole, the environment keeps its start and end', () => {
    const env = `app-${'z'.repeat(80)}-production`;
    const email = approvalEmail({ ...NOTIFICATION, env }, 'ops@acme.io');
    expect(email.subject.length).toBeLessThan(100);
    expect(email.subject).toMatch(/^\[Stageline\] Approve hello to app-z+\.\.\.z*-production\?$/);
  });

  it('drops only the commit when that is enough', () => {
    const service = 's'.repeat(40);
    const env = 'e'.repeat(34); // 20 + 40 + 4 + 34 + 1 = 99 without the commit, 109 with it
    expect(approvalEmail({ ...NOTIFICATION, service, env }, 'ops@acme.io').subject).toBe(`[Stageline] Approve ${service} to ${env}?`);
  });

  it('an approver without a link is an error', () => {
    expect(() => approvalEmail(NOTIFICATION, 'nobody@acme.io')).toThrow(/no approval link/);
  });

  it('the Slack message names approvers but carries no link, and escapes mrkdwn', () => {
    const body = slackApprovalMessage({ ...NOTIFICATION, triggeredBy: '<!channel> dev' });
    const message = JSON.parse(body) as { text: string; blocks: unknown[] };

    expect(body).not.toContain('https://approve.example');
    expect(body).not.toContain('sig=');
    expect(body).toContain('ops@acme.io, lead@acme.io');
    expect(body).toContain('&lt;!channel&gt; dev');
    expect(message.text).toBe('Approval needed: hello to app-production');
    expect(message.blocks.length).toBeGreaterThan(0);
  });

  it('the terminal lines list every link (the operator’s own terminal)', () => {
    const lines = approvalTerminalLines(NOTIFICATION);
    expect(lines.join('\n')).toContain('sig=k1.OPS');
    expect(lines.join('\n')).toContain('sig=k1.LEAD');
    expect(lines.at(-1)).toContain('stageline approve run-1 app-production');
  });
});
