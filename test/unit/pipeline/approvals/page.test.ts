import { describe, expect, it } from 'vitest';
import { emitYaml } from '../../../../lib/kustomize/yaml/emit.js';
import { diffManifests, REDACTED } from '../../../../lib/pipeline/approvals/manifest-diff.js';
import { escapeHtml, PAGE_STYLE, PAGE_STYLE_HASH, renderConfirmationPage, renderResultPage, type ConfirmationPageModel } from '../../../../lib/pipeline/approvals/page.js';
import { SECURITY_HEADERS } from '../../../../lib/pipeline/approvals/http.js';
import { gateFixture, helloManifest, open, SECRET_VALUE, visibleText } from './harness.js';

describe('the confirmation page (GET)', () => {
  it('shows what is deployed where, who triggered it, and the run so far', async () => {
    const fixture = await gateFixture();

    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));
    const text = visibleText(page.body);

    expect(page.status).toBe(200);
    expect(text).toContain('Approve hello to app-production?');
    expect(text).toContain('abcdef0123456789abcdef0123456789abcdef01');
    expect(text).toContain('registry.example/hello:new1234');
    expect(text).toContain('Triggered by dev@acme.io');
    expect(text).toContain('app-dev: succeeded');
    expect(text).toContain('app-staging: succeeded');
    expect(text).toContain('app-production: waiting for this approval');
    expect(text).not.toContain('app-dr');
  });

  it('shows the changed field of the diff with a visible marker', async () => {
    const fixture = await gateFixture();

    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));

    expect(page.body).toMatch(/<span class="remove"><b aria-label="removed">−<\/b>\s*image: registry\.example\/hello:old0000<\/span>/);
    expect(page.body).toMatch(/<span class="add"><b aria-label="added">\+<\/b>\s*image: registry\.example\/hello:new1234<\/span>/);
    expect(visibleText(page.body)).toMatch(/1 line\(s\) added \( \+ \), 1 removed \( − \)/);
    // Unchanged lines are context, without a marker.
    expect(page.body).toMatch(/<span class="context"><b aria-label="unchanged"><\/b>\s*replicas: 3<\/span>/);
  });

  it('lists the secret and variable references by name, never a value', async () => {
    const withLiteral = helloManifest('registry.example/hello:new1234', 3);
    ((withLiteral.spec as any).container.app.env.secrets as Record<string, string>).API_TOKEN = SECRET_VALUE;
    const fixture = await gateFixture({ newManifest: emitYaml(withLiteral) });

    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));
    const text = visibleText(page.body);

    expect(text).toMatch(/Secrets database\/password Variables shared\/region/);
    expect(page.body).not.toContain(SECRET_VALUE);
    expect(text).toContain(`API_TOKEN: ${REDACTED}`);
  });

  it('says so when nothing was deployed there yet', async () => {
    const fixture = await gateFixture({ deployed: null });

    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));

    expect(visibleText(page.body)).toContain('Nothing was deployed here by Stageline yet');
    expect(page.body).toContain('image: registry.example/hello:new1234');
  });

  it('has a POST form with the link fields, a form token, both buttons and a reason field; no script', async () => {
    const fixture = await gateFixture();

    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));

    expect(page.form?.action.pathname).toBe(`/a/${fixture.gate.approvalId}/decision`);
    expect(Object.keys(page.form!.fields).sort()).toEqual(['approver', 'exp', 'formToken', 'sig']);
    expect(page.body).toContain('<button class="approve" type="submit" name="decision" value="approve">Approve</button>');
    expect(page.body).toContain('<button class="reject" type="submit" name="decision" value="reject">Reject</button>');
    expect(page.body).toContain('<textarea id="reason" name="reason"');
    expect(page.body).not.toMatch(/<script|<link |<img|src=|https?:\/\/(?!approve)/i);
    expect(page.body).toContain('name="viewport"');
  });

  it('escapes everything that comes from records', async () => {
    const fixture = await gateFixture({ triggeredBy: '<img src=x onerror=alert(1)>@evil.io' });
    const evil = helloManifest('registry.example/hello:"><script>alert(1)</script>', 3);

    const page = await open(fixture.deps, fixture.linkFor('ops@acme.io'));
    const direct = renderConfirmationPage({ ...model(), service: '<b>svc</b>', diff: diffManifests(undefined, emitYaml(evil)), reason: '</textarea><script>x</script>' });

    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toContain('&#60;img src=x onerror=alert(1)&#62;@evil.io');
    expect(direct).not.toMatch(/<script|<b>svc/);
    expect(direct).not.toContain('</textarea><script>');
  });

  it('the stylesheet is the one the CSP allows by hash', () => {
    expect(SECURITY_HEADERS['Content-Security-Policy']).toContain(`style-src ${PAGE_STYLE_HASH}`);
    expect(renderResultPage({ title: 't', message: 'm', tone: 'info' })).toContain(`<style>${PAGE_STYLE}</style>`);
  });

  it('result pages escape and show details', () => {
    const html = renderResultPage({ title: 'Refused <x>', message: 'a & b', tone: 'error', details: [['Env', '"prod"']], retryUrl: '../id?a=1&b=2' });

    expect(html).toContain('<h1>Refused &#60;x&#62;</h1>');
    expect(html).toContain('a &#38; b');
    expect(html).toContain('href="../id?a=1&#38;b=2"');
  });
});

describe('diffManifests', () => {
  const before = emitYaml(helloManifest('img:1', 2));

  it('marks the changed lines', () => {
    const diff = diffManifests(before, emitYaml(helloManifest('img:1', 5)));

    expect(diff).toMatchObject({ kind: 'changed', added: 1, removed: 1, truncated: false });
    expect(diff.lines.filter((line) => line.type !== 'context' && line.type !== 'hunk')).toEqual([
      { type: 'remove', text: '  replicas: 2' },
      { type: 'add', text: '  replicas: 5' },
    ]);
  });

  it('identical manifests are unchanged; nothing deployed is first; garbage is unreadable', () => {
    expect(diffManifests(before, before).kind).toBe('unchanged');
    expect(diffManifests(undefined, before)).toMatchObject({ kind: 'first', removed: 0 });
    expect(diffManifests(before, 'a: [unclosed').kind).toBe('unreadable');
  });

  it('redacts literals in secrets fields on both sides, keeps references', () => {
    const leaky = helloManifest('img:1', 2);
    ((leaky.spec as any).container.app.env.secrets as Record<string, unknown>).OLD = 'old-plaintext';
    const next = helloManifest('img:1', 2);
    ((next.spec as any).container.app.env.secrets as Record<string, unknown>).NEW = 12345;

    const diff = diffManifests(emitYaml(leaky), emitYaml(next));
    const all = diff.lines.map((line) => line.text).join('\n');

    expect(all).not.toContain('old-plaintext');
    expect(all).not.toContain('12345');
    expect(all).toContain('$secrets-group/database/password');
    expect(all).toContain(`NEW: ${REDACTED}`);
  });

  it('cuts very long diffs', () => {
    const big = { items: Array.from({ length: 3000 }, (_, index) => `item-${index}`) };
    expect(diffManifests(undefined, emitYaml(big))).toMatchObject({ truncated: true, added: 3001 });
  });

  it('escapeHtml covers the HTML specials', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\``)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#96;');
  });
});

function model(): ConfirmationPageModel {
  return {
    approvalId: 'id1',
    service: 'hello',
    org: 'acme',
    env: 'app-production',
    runId: 'run-1',
    commitSha: 'abc',
    image: 'img',
    triggeredBy: 'dev@acme.io',
    expiresAt: '2030-01-01T00:00:00Z',
    minApprovals: 1,
    approver: 'ops@acme.io',
    environments: [],
    approvedBy: [],
    diff: { kind: 'unchanged', lines: [], added: 0, removed: 0, truncated: false },
    references: { secrets: [], variables: [] },
    form: { action: 'id1/decision', approver: 'ops@acme.io', exp: '1', sig: 's', formToken: 't' },
    selfApproval: false,
  };
}
