import { describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../../../functions/approval/handler.js';
import type { FunctionUrlEvent } from '../../../../functions/approval/function-url.js';
import { gateFixture, KEYRING } from '../../pipeline/approvals/harness.js';

/** A function URL event (payload 2.0) as Lambda delivers it for `url`. */
function urlEvent(url: string, options: { method?: string; form?: Record<string, string>; base64?: boolean; headers?: Record<string, string> } = {}): FunctionUrlEvent {
  const parsed = new URL(url);
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  return {
    rawPath: parsed.pathname,
    rawQueryString: parsed.search.slice(1),
    headers: { host: parsed.host, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...options.headers },
    ...(body ? { body: options.base64 ? Buffer.from(body).toString('base64') : body, isBase64Encoded: Boolean(options.base64) } : {}),
    requestContext: { http: { method: options.method ?? 'GET', path: parsed.pathname } },
  };
}

function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = match[2]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  return fields;
}

async function setup() {
  const fixture = await gateFixture();
  const logs: string[] = [];
  const handler = makeHandler({ store: fixture.store, callbacks: fixture.callbacks, clock: fixture.clock, keyring: async () => KEYRING, log: (line) => logs.push(line) });
  return { fixture, handler, logs };
}

describe('approval function (function URL → handleApprovalRequest)', () => {
  it('GET shows the confirmation page; the POST from it (base64 body, as Lambda sends it) approves the gate', async () => {
    const { fixture, handler, logs } = await setup();
    const link = fixture.linkFor('ops@acme.io');

    const page = await handler(urlEvent(link));
    const decided = await handler(urlEvent(`${new URL(link).origin}${new URL(link).pathname}/decision`, { method: 'POST', form: { ...hiddenFields(page.body), decision: 'approve' }, base64: true }));

    expect(page.statusCode).toBe(200);
    expect(page.headers['Content-Security-Policy']).toContain("default-src 'none'");
    expect(decided.statusCode).toBe(200);
    expect(fixture.callbacks.calls.map((call) => call.method)).toEqual(['succeed']);
    expect(logs.map((line) => JSON.parse(line).outcome)).toEqual(['page:shown', 'decided:approve:approved']);
    expect(logs.join('\n')).not.toContain('sig=');
    expect(logs.join('\n')).not.toContain('TASK-TOKEN');
  });

  it("a POST whose Origin is not the function URL's own is refused with a valid form token; its own https origin decides", async () => {
    const { fixture, handler, logs } = await setup();
    const link = fixture.linkFor('ops@acme.io');
    const fields = { ...hiddenFields((await handler(urlEvent(link))).body), decision: 'approve' };
    const decision = `${new URL(link).origin}${new URL(link).pathname}/decision`;

    const foreign = await handler(urlEvent(decision, { method: 'POST', form: fields, headers: { origin: 'https://evil.example', 'x-forwarded-proto': 'https' } }));
    const plainHttp = await handler(urlEvent(decision, { method: 'POST', form: fields, headers: { origin: `http://${new URL(link).host}`, 'x-forwarded-proto': 'https' } }));
    expect([foreign.statusCode, plainHttp.statusCode]).toEqual([403, 403]);
    expect(fixture.callbacks.calls).toEqual([]);

    const own = await handler(urlEvent(decision, { method: 'POST', form: fields, headers: { origin: new URL(link).origin, 'x-forwarded-proto': 'https' } }));
    expect(own.statusCode).toBe(200);
    expect(logs.map((line) => JSON.parse(line).outcome)).toEqual(['page:shown', 'refused:cross-origin', 'refused:cross-origin', 'decided:approve:approved']);
  });

  it('keeps the first value of a repeated query parameter, never a comma-joined one', async () => {
    const { fixture, handler } = await setup();
    const link = fixture.linkFor('ops@acme.io');

    const response = await handler(urlEvent(`${link}&approver=lead%40acme.io`));

    expect(response.statusCode).toBe(200);
  });

  it('refuses an oversized body with 413 and records nothing', async () => {
    const { fixture, handler } = await setup();
    const link = fixture.linkFor('ops@acme.io');

    const response = await handler(urlEvent(`${link.split('?')[0]}/decision`, { method: 'POST', form: { reason: 'x'.repeat(20_000) } }));

    expect(response.statusCode).toBe(413);
    expect(fixture.callbacks.calls).toEqual([]);
  });

  it('answers 503 (and logs no detail) when the keyring cannot be read', async () => {
    const fixture = await gateFixture();
    const log = vi.fn();
    const handler = makeHandler({ store: fixture.store, callbacks: fixture.callbacks, clock: fixture.clock, keyring: async () => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDeniedException' })), log });

    const response = await handler(urlEvent(fixture.linkFor('ops@acme.io')));

    expect(response.statusCode).toBe(503);
    expect(log).toHaveBeenCalledWith(JSON.stringify({ outcome: 'error:keyring', error: 'AccessDeniedException' }));
  });
});
