import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startApprovalServer, type RunningApprovalServer } from '../../../lib/adapters/local/approval-server.js';
import { approvalLinksFor } from '../../../lib/pipeline/approvals/links.js';
import { gateFixture, KEYRING } from '../../unit/pipeline/approvals/harness.js';

/** The local approval server: real HTTP on 127.0.0.1 around the same handler. */
let server: RunningApprovalServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1]!] = match[2]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  }
  return fields;
}

/** A raw request, to send a Host header fetch() would not let us forge. */
function rawGet(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('local approval server', () => {
  it('serves the page on 127.0.0.1 and records a decision from the posted form', async () => {
    const fixture = await gateFixture({ minApprovals: 1 });
    const outcomes: string[] = [];
    server = await startApprovalServer(fixture.deps, { onRequest: (entry) => outcomes.push(`${entry.method} ${entry.status} ${entry.outcome}`) });
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const link = approvalLinksFor(fixture.gate, server.baseUrl, KEYRING).find((item) => item.approver === 'ops@acme.io')!.url;

    const page = await fetch(link);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toContain('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(html).toContain('image: registry.example/hello:new1234');

    const posted = await fetch(`${server.baseUrl}/a/${fixture.gate.approvalId}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...hiddenFields(html), decision: 'approve' }).toString(),
    });

    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('Approved');
    expect(fixture.callbacks.calls.map((call) => call.method)).toEqual(['succeed']);
    expect(outcomes).toEqual(['GET 200 page:shown', 'POST 200 decided:approve:approved']);
  });

  it('refuses a foreign Host (DNS rebinding), non-form bodies and oversized bodies', async () => {
    const fixture = await gateFixture();
    server = await startApprovalServer(fixture.deps);
    const decision = `${server.baseUrl}/a/${fixture.gate.approvalId}/decision`;

    expect(await rawGet(`${server.baseUrl}/a/${fixture.gate.approvalId}`, 'evil.example')).toBe(421);
    expect((await fetch(decision, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(415);
    expect((await fetch(decision, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `reason=${'x'.repeat(20_000)}` })).status).toBe(413);
    expect(await fixture.decisions()).toEqual([]);
    expect(fixture.callbacks.calls).toEqual([]);
  });

  it('refuses a decision posted from another origin (a page on evil.example, or another local port), valid form token and all', async () => {
    const fixture = await gateFixture({ minApprovals: 1 });
    const outcomes: string[] = [];
    server = await startApprovalServer(fixture.deps, { onRequest: (entry) => outcomes.push(`${entry.method} ${entry.status} ${entry.outcome}`) });
    const link = approvalLinksFor(fixture.gate, server.baseUrl, KEYRING).find((item) => item.approver === 'ops@acme.io')!.url;
    const fields = hiddenFields(await (await fetch(link)).text());
    const decision = `${server.baseUrl}/a/${fixture.gate.approvalId}/decision`;
    const postFrom = (headers: Record<string, string>) =>
      fetch(decision, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ ...fields, decision: 'approve' }).toString() });

    const statuses = [
      (await postFrom({ origin: 'https://evil.example' })).status,
      (await postFrom({ origin: 'http://127.0.0.1:1' })).status,
      (await postFrom({ referer: 'https://evil.example/phish' })).status,
    ];

    expect(statuses).toEqual([403, 403, 403]);
    expect(outcomes.slice(1)).toEqual(['POST 403 refused:cross-origin', 'POST 403 refused:cross-origin', 'POST 403 refused:cross-origin']);
    expect(await fixture.decisions()).toEqual([]);
    expect(fixture.callbacks.calls).toEqual([]);
    // From the page's own origin it decides.
    expect((await postFrom({ origin: server.baseUrl })).status).toBe(200);
  });

  it('close() stops listening', async () => {
    const fixture = await gateFixture();
    const running = await startApprovalServer(fixture.deps);
    await running.close();
    await expect(fetch(`${running.baseUrl}/a/x`)).rejects.toThrow();
  });
});
