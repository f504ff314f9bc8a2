import { describe, expect, it } from 'vitest';
import { gateKey } from '../../../lib/pipeline/approvals/gate.js';
import { handleApprovalRequest } from '../../../lib/pipeline/approvals/http.js';
import { issueFormToken } from '../../../lib/pipeline/approvals/links.js';
import { cancelKey, serialize } from '../../../lib/pipeline/workflow/records.js';
import { decisionUrl, gateFixture, KEYRING, linkFields, open, post, submit, visibleText, type GateFixture } from '../../unit/pipeline/approvals/harness.js';

/**
 * Attacks on the approval endpoint, through the transport-independent handler. Every attack must
 * end with a clear 4xx page, NO decision recorded and NO callback sent.
 */
async function expectNothingHappened(fixture: GateFixture): Promise<void> {
  expect(await fixture.decisions()).toEqual([]);
  expect(fixture.callbacks.calls).toEqual([]);
  expect((await fixture.gateRecord()).status).toBe('WAITING');
}

describe('approval endpoint: attacks change nothing', () => {
  it('a tampered signature is refused', async () => {
    const fixture = await gateFixture();
    const link = new URL(fixture.linkFor('ops@acme.io'));
    const sig = link.searchParams.get('sig')!;
    link.searchParams.set('sig', `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`);

    const page = await open(fixture.deps, link.toString());
    const posted = await post(fixture.deps, decisionUrl(link.toString()), { ...linkFields(link.toString()), decision: 'approve', formToken: 'x' });

    expect(page.status).toBe(403);
    expect(visibleText(page.body)).toContain('This link is not valid');
    expect(page.form).toBeUndefined();
    expect(posted.status).toBe(403);
    await expectNothingHappened(fixture);
  });

  it('a link whose approver was changed (another approver reusing a link) is refused', async () => {
    const fixture = await gateFixture();
    const link = new URL(fixture.linkFor('ops@acme.io'));
    link.searchParams.set('approver', 'lead@acme.io');

    const page = await open(fixture.deps, link.toString());

    expect(page.status).toBe(403);
    expect(page.outcome).toBe('refused:link-tampered');
    await expectNothingHappened(fixture);
  });

  it('a link with a pushed-out expiry is refused as tampered', async () => {
    const fixture = await gateFixture();
    const link = new URL(fixture.linkFor('ops@acme.io'));
    link.searchParams.set('exp', String(Number(link.searchParams.get('exp')) + 86_400));

    expect((await open(fixture.deps, link.toString())).status).toBe(403);
    await expectNothingHappened(fixture);
  });

  it('an expired link is refused, on GET and on POST with a form token taken earlier', async () => {
    const fixture = await gateFixture();
    const exp = Math.floor(fixture.clock.now().getTime() / 1000) + 600;
    const link = fixture.linkFor('ops@acme.io', { exp });
    const page = await open(fixture.deps, link);
    expect(page.status).toBe(200);

    fixture.clock.advance(601);
    const again = await open(fixture.deps, link);
    const posted = await submit(fixture.deps, page, { decision: 'approve' });

    expect(again.status).toBe(410);
    expect(visibleText(again.body)).toContain('This link has expired');
    expect(posted.status).toBe(410);
    await expectNothingHappened(fixture);
  });

  it('a link signed with a retired key is refused', async () => {
    const fixture = await gateFixture();
    const link = fixture.linkFor('ops@acme.io', { keyring: { current: 'k0', keys: { k0: 'retired-key-0123456789abcdefghijklmnopqrstuvwxyz' } } });

    const page = await open(fixture.deps, link);

    expect(page.status).toBe(403);
    expect(page.outcome).toBe('refused:link-unknown-key');
    await expectNothingHappened(fixture);
  });

  it('a link of another gate (its signature on this gate id) is refused', async () => {
    const fixture = await gateFixture();
    const other = new URL(fixture.linkFor('ops@acme.io', { approvalId: 'ffffffffffffffffffffffff' }));
    const forged = `${new URL(fixture.linkFor('ops@acme.io')).origin}${new URL(fixture.linkFor('ops@acme.io')).pathname}${other.search}`;

    expect((await open(fixture.deps, forged)).status).toBe(403);
    // Authentic, but for a gate that does not exist (any more): nothing to decide.
    expect((await open(fixture.deps, other.toString())).status).toBe(410);
    await expectNothingHappened(fixture);
  });

  it('a forged, malformed, outdated (v1) or expired link costs no store read at all (a flood is cheap to refuse)', async () => {
    const fixture = await gateFixture();
    const reads: string[] = [];
    const store = fixture.deps.store;
    const counting = { ...fixture.deps, store: { ...store, get: (key: string) => (reads.push(key), store.get(key)), list: (prefix: string) => (reads.push(prefix), store.list(prefix)) } };
    const link = new URL(fixture.linkFor('ops@acme.io'));
    const variant = (change: Record<string, string>) => {
      const url = new URL(link);
      for (const [name, value] of Object.entries(change)) url.searchParams.set(name, value);
      return url.toString();
    };
    const sig = link.searchParams.get('sig')!;
    const bad = [
      variant({ sig: `${sig.slice(0, -4)}AAAA` }),
      variant({ sig: sig.replace(/^v2\./, '') }),
      variant({ approver: 'lead@acme.io' }),
      variant({ exp: 'tomorrow' }),
      fixture.linkFor('ops@acme.io', { exp: Math.floor(fixture.clock.now().getTime() / 1000) - 1 }),
    ];

    const statuses = [];
    for (const url of bad) statuses.push((await open(counting, url)).status, (await post(counting, decisionUrl(url), { ...linkFields(url), decision: 'approve', formToken: 'x' })).status);

    expect(statuses).toEqual([403, 403, 410, 410, 403, 403, 403, 403, 410, 410]);
    expect(reads).toEqual([]);
    // The genuine link still reads what its page shows.
    expect((await open(counting, link.toString())).status).toBe(200);
    expect(reads.length).toBeGreaterThan(0);
  });

  it('a GET (a mail scanner prefetching the link, twice, with HEAD too) never decides', async () => {
    const fixture = await gateFixture({ minApprovals: 1 });
    const link = fixture.linkFor('ops@acme.io');

    const first = await open(fixture.deps, link);
    const second = await open(fixture.deps, link);
    const head = await open(fixture.deps, link, 'HEAD');
    const getDecision = await handleApprovalRequest(fixture.deps, { method: 'GET', path: new URL(decisionUrl(link)).pathname, query: { ...linkFields(link), decision: 'approve' } });

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(head.body).toBe('');
    expect(getDecision.status).toBe(405);
    await expectNothingHappened(fixture);
  });

  it('a POST without a form token is refused', async () => {
    const fixture = await gateFixture();
    const link = fixture.linkFor('ops@acme.io');

    const posted = await post(fixture.deps, decisionUrl(link), { ...linkFields(link), decision: 'approve' });

    expect(posted.status).toBe(403);
    expect(posted.outcome).toBe('refused:form-missing');
    expect(visibleText(posted.body)).toContain('Nothing was recorded');
    await expectNothingHappened(fixture);
  });

  it('a POST with a stale form token (page left open past 15 minutes) is refused', async () => {
    const fixture = await gateFixture();
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));

    fixture.clock.advance(15 * 60 + 1);
    const posted = await submit(fixture.deps, page, { decision: 'approve' });

    expect(posted.status).toBe(403);
    expect(posted.outcome).toBe('refused:form-expired');
    expect(posted.body).toContain('Open the approval page again');
    await expectNothingHappened(fixture);
  });

  it("a POST with another approver's form token is refused", async () => {
    const fixture = await gateFixture();
    const leadPage = await open(fixture.deps, fixture.linkFor('lead@acme.io'));
    const opsLink = fixture.linkFor('ops@acme.io');

    const posted = await post(fixture.deps, decisionUrl(opsLink), { ...linkFields(opsLink), formToken: leadPage.form!.fields.formToken, decision: 'approve' });

    expect(posted.status).toBe(403);
    expect(posted.outcome).toBe('refused:form-wrong-approver');
    await expectNothingHappened(fixture);
  });

  it("a POST with another gate's form token is refused", async () => {
    const fixture = await gateFixture();
    const link = fixture.linkFor('ops@acme.io');
    const foreign = issueFormToken({ approvalId: 'ffffffffffffffffffffffff', approver: 'ops@acme.io', now: fixture.clock.now() }, KEYRING);

    const posted = await post(fixture.deps, decisionUrl(link), { ...linkFields(link), formToken: foreign, decision: 'approve' });

    expect(posted.outcome).toBe('refused:form-wrong-approval');
    await expectNothingHappened(fixture);
  });

  it('a POST with a tampered form token is refused', async () => {
    const fixture = await gateFixture();
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));
    const [kid, payload, mac] = page.form!.fields.formToken!.split('.');
    const longer = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), exp: 9_999_999_999 })).toString('base64url');

    const posted = await submit(fixture.deps, page, { decision: 'approve', formToken: `${kid}.${longer}.${mac}` });

    expect(posted.outcome).toBe('refused:form-tampered');
    await expectNothingHappened(fixture);
  });

  it('a cross-site POST is refused even with valid fields', async () => {
    const fixture = await gateFixture();
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));

    const posted = await submit(fixture.deps, page, { decision: 'approve' }, { 'sec-fetch-site': 'cross-site' });

    expect(posted.status).toBe(403);
    await expectNothingHappened(fixture);
  });

  it.each([
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['Origin: null (a sandboxed frame, a data: page)', { origin: 'null' }],
    ['a foreign Referer (no Origin)', { referer: 'https://evil.example/phish.html' }],
    ['another function URL of the same site', { origin: 'https://other.lambda-url.us-east-1.on.aws', 'sec-fetch-site': 'same-site' }],
  ])('a POST with %s is refused even with a valid form token, and records nothing', async (_, headers) => {
    const fixture = await gateFixture();
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));

    const posted = await submit(fixture.deps, page, { decision: 'approve' }, headers);

    expect(posted.status).toBe(403);
    expect(posted.outcome).toMatch(/^refused:cross-(origin|site)$/);
    expect(visibleText(posted.body)).toContain('A decision can only be sent from the approval page itself');
    await expectNothingHappened(fixture);
  });

  it("a POST from the page's own origin (Origin, or a Referer of it) is accepted", async () => {
    const fixture = await gateFixture({ minApprovals: 2 });
    const viaOrigin = await submit(fixture.deps, await open(fixture.deps, fixture.linkFor('ops@acme.io')), { decision: 'approve' }, { origin: 'https://approve.example', 'sec-fetch-site': 'same-origin' });
    const viaReferer = await submit(fixture.deps, await open(fixture.deps, fixture.linkFor('lead@acme.io')), { decision: 'approve' }, { referer: fixture.linkFor('lead@acme.io') });

    expect([viaOrigin.status, viaReferer.status]).toEqual([200, 200]);
    expect((await fixture.decisions()).map((decision) => (decision as { approver: string }).approver).sort()).toEqual(['lead@acme.io', 'ops@acme.io']);
  });

  it('self-approval: the person who triggered the build may not approve (and is not offered the button)', async () => {
    const fixture = await gateFixture({ triggeredBy: 'ops@acme.io' });
    const page = await open(fixture.deps, fixture.linkFor('OPS@acme.io'));
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('value="approve"');
    expect(visibleText(page.body)).toContain('You triggered this build');

    const posted = await submit(fixture.deps, page, { decision: 'approve' });

    expect(posted.status).toBe(403);
    expect(posted.outcome).toBe('refused:self-approval');
    await expectNothingHappened(fixture);
  });

  it('an approver no longer listed on the gate is refused, though their link is authentic', async () => {
    const fixture = await gateFixture({ approvers: ['lead@acme.io'] });
    const link = fixture.linkFor('ops@acme.io');

    const page = await open(fixture.deps, link);

    expect(page.status).toBe(403);
    expect(page.outcome).toBe('refused:not-an-approver');
    await expectNothingHappened(fixture);
  });

  it('a replay after a decision records nothing more and sends no second callback', async () => {
    const fixture = await gateFixture({ minApprovals: 2 });
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));
    const first = await submit(fixture.deps, page, { decision: 'approve' });
    expect(first.status).toBe(200);
    const before = await fixture.decisions();

    const replay = await submit(fixture.deps, page, { decision: 'approve' });
    const replayReject = await submit(fixture.deps, page, { decision: 'reject', reason: 'changed my mind' });
    const reopened = await open(fixture.deps, fixture.linkFor('ops@acme.io'));

    expect(replay.status).toBe(409);
    expect(replay.outcome).toBe('refused:already-decided');
    expect(replayReject.status).toBe(409);
    expect(reopened.status).toBe(409);
    expect(reopened.form).toBeUndefined();
    expect(await fixture.decisions()).toEqual(before);
    expect(fixture.callbacks.calls).toEqual([]);
    expect((await fixture.gateRecord()).status).toBe('WAITING');
  });

  it('a replay after the gate closed gets the closed page', async () => {
    const fixture = await gateFixture({ minApprovals: 1 });
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));
    const leadPage = await open(fixture.deps, fixture.linkFor('lead@acme.io'));
    await submit(fixture.deps, page, { decision: 'approve' });

    const late = await submit(fixture.deps, leadPage, { decision: 'reject', reason: 'too late' });

    expect(late.status).toBe(410);
    expect(visibleText(late.body)).toContain('Already approved');
    expect((await fixture.decisions()).length).toBe(1);
    expect(fixture.callbacks.calls.map((call) => call.method)).toEqual(['succeed']);
  });

  it('a link of a superseded gate shows a clear page and decides nothing', async () => {
    const fixture = await gateFixture({ gateStatus: 'SUPERSEDED' });
    const link = fixture.linkFor('ops@acme.io');

    const page = await open(fixture.deps, link);
    const posted = await post(fixture.deps, decisionUrl(link), { ...linkFields(link), decision: 'approve', formToken: issueFormToken({ approvalId: fixture.gate.approvalId, approver: 'ops@acme.io', now: fixture.clock.now() }, KEYRING) });

    expect(page.status).toBe(410);
    expect(visibleText(page.body)).toContain('Superseded by a newer run');
    expect(posted.status).toBe(410);
    expect(await fixture.decisions()).toEqual([]);
    expect(fixture.callbacks.calls).toEqual([]);
  });

  it('a run superseded while its gate still waits: the page opened before cannot decide', async () => {
    const fixture = await gateFixture();
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));
    await fixture.store.put(cancelKey(fixture.gate.runId), serialize({ reason: 'superseded', by: 'stageline', at: fixture.clock.now().toISOString(), supersededBy: 'run-2' }));

    const posted = await submit(fixture.deps, page, { decision: 'approve' });

    expect(posted.status).toBe(410);
    expect(posted.outcome).toBe('closed:superseded');
    await expectNothingHappened(fixture);
  });

  it('a gate past its timeout decides nothing, even with a link valid longer', async () => {
    const fixture = await gateFixture();
    const link = fixture.linkFor('ops@acme.io', { exp: Math.floor(Date.parse('2030-02-01T00:00:00Z') / 1000) });
    const page = await open(fixture.deps, link);
    fixture.clock.set('2030-01-04T12:00:01.000Z');

    const posted = await submit(fixture.deps, page, { decision: 'approve' });

    expect(posted.status).toBe(410);
    expect(posted.outcome).toBe('closed:expired');
    await expectNothingHappened(fixture);
  });

  it('a rejection without a reason is refused and the form is shown again', async () => {
    const fixture = await gateFixture();
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));

    const posted = await submit(fixture.deps, page, { decision: 'reject', reason: '   ' });

    expect(posted.status).toBe(400);
    expect(visibleText(posted.body)).toContain('A rejection needs a reason');
    expect(posted.body).toContain('name="formToken"');
    await expectNothingHappened(fixture);
  });

  it('unknown decisions, paths and methods are refused', async () => {
    const fixture = await gateFixture();
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));

    expect((await submit(fixture.deps, page, { decision: 'approve-all' })).status).toBe(400);
    expect((await handleApprovalRequest(fixture.deps, { method: 'GET', path: '/a/../../approvals/x' })).status).toBe(404);
    expect((await handleApprovalRequest(fixture.deps, { method: 'DELETE', path: `/a/${fixture.gate.approvalId}` })).status).toBe(405);
    expect((await handleApprovalRequest(fixture.deps, { method: 'POST', path: `/a/${fixture.gate.approvalId}` })).status).toBe(405);
    await expectNothingHappened(fixture);
  });

  it('no response ever carries the task token', async () => {
    const fixture = await gateFixture();
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));
    const done = await submit(fixture.deps, page, { decision: 'approve' });

    for (const response of [page, done]) {
      expect(response.body).not.toContain(fixture.gate.taskToken);
      expect(JSON.stringify(response.headers)).not.toContain(fixture.gate.taskToken);
    }
  });

  it('every response carries the security headers', async () => {
    const fixture = await gateFixture();
    const responses = [await open(fixture.deps, fixture.linkFor('ops@acme.io')), await handleApprovalRequest(fixture.deps, { method: 'GET', path: '/nope' })];

    for (const response of responses) {
      expect(response.headers).toMatchObject({ 'Cache-Control': expect.stringContaining('no-store'), 'Referrer-Policy': 'same-origin', 'X-Frame-Options': 'DENY' });
      expect(response.headers['Content-Security-Policy']).toMatch(/default-src 'none'/);
      expect(response.headers['Content-Security-Policy']).not.toMatch(/unsafe-inline|script-src 'self'/);
    }
  });

  it('the gate record is never modified by a refused request', async () => {
    const fixture = await gateFixture();
    const before = fixture.store.objects.get(gateKey(fixture.gate.approvalId));
    const link = fixture.linkFor('ops@acme.io');
    await post(fixture.deps, decisionUrl(link), { ...linkFields(link), decision: 'approve' });
    expect(fixture.store.objects.get(gateKey(fixture.gate.approvalId))).toBe(before);
  });
});

describe('approval endpoint: deciding', () => {
  it('two approvers with minApprovals 2: the second POST completes the gate with one succeed callback', async () => {
    const fixture = await gateFixture({ minApprovals: 2 });
    const opsPage = await open(fixture.deps, fixture.linkFor('ops@acme.io'));
    const leadPage = await open(fixture.deps, fixture.linkFor('lead@acme.io'));

    const first = await submit(fixture.deps, opsPage, { decision: 'approve' });
    expect(first.status).toBe(200);
    expect(visibleText(first.body)).toContain('1 of 2 needed');
    expect(fixture.callbacks.calls).toEqual([]);

    fixture.clock.advance(60);
    const second = await submit(fixture.deps, leadPage, { decision: 'approve', reason: 'looks good' });

    expect(second.status).toBe(200);
    expect(visibleText(second.body)).toContain('Approved');
    expect(fixture.callbacks.calls).toEqual([{ method: 'succeed', token: fixture.gate.taskToken, output: { approvedBy: ['ops@acme.io', 'lead@acme.io'] } }]);
    expect(await fixture.decisions()).toMatchObject([
      { approver: 'ops@acme.io', decision: 'approve', via: 'link' },
      { approver: 'lead@acme.io', decision: 'approve', via: 'link', reason: 'looks good' },
    ]);
    expect((await fixture.gateRecord()).status).toBe('APPROVED');
    expect((await fixture.run()).tasks[2]!.status).toBe('APPROVED');
  });

  it('a rejection with a reason fails the gate once with Stageline.Rejected', async () => {
    const fixture = await gateFixture({ minApprovals: 2 });
    const page = await open(fixture.deps, fixture.linkFor('lead@acme.io'));

    const rejected = await submit(fixture.deps, page, { decision: 'reject', reason: 'wrong image <b>tag</b>' });

    expect(rejected.status).toBe(200);
    expect(visibleText(rejected.body)).toContain('Rejected');
    expect(fixture.callbacks.calls).toEqual([{ method: 'fail', token: fixture.gate.taskToken, error: 'Stageline.Rejected', cause: expect.stringContaining('wrong image') }]);
    expect((await fixture.gateRecord()).status).toBe('REJECTED');
  });

  it('the person who triggered the build may still reject it', async () => {
    const fixture = await gateFixture({ triggeredBy: 'ops@acme.io' });
    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));

    const rejected = await submit(fixture.deps, page, { decision: 'reject', reason: 'I pushed the wrong commit' });

    expect(rejected.status).toBe(200);
    expect(fixture.callbacks.calls.map((call) => call.error)).toEqual(['Stageline.Rejected']);
  });

  it('links signed with the previous key still work after a rotation', async () => {
    const fixture = await gateFixture();
    const old = fixture.linkFor('ops@acme.io', { keyring: { ...KEYRING, current: 'k1' } });

    const page = await open(fixture.deps, old);
    const done = await submit(fixture.deps, page, { decision: 'approve' });

    expect(page.status).toBe(200);
    expect(done.status).toBe(200);
    expect(fixture.callbacks.calls).toHaveLength(1);
  });

  it('pages under a path prefix post to the decision path under that prefix', async () => {
    const fixture = await gateFixture();
    const link = fixture.linkFor('ops@acme.io').replace('https://approve.example/a/', 'https://approve.example/prod/a/');

    const page = await open(fixture.deps, link);

    expect(page.form!.action.pathname).toBe(`/prod/a/${fixture.gate.approvalId}/decision`);
    expect((await submit(fixture.deps, page, { decision: 'approve' })).status).toBe(200);
  });
});
