import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// Spy on the constant-time comparison while keeping its behaviour.
const compared = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.count++;
      return actual.timingSafeEqual(a, b);
    },
  };
});

const { approvalLinksFor, issueFormToken, parseKeyring, signLink, verifyFormToken, verifyLink } = await import('../../../../lib/pipeline/approvals/links.js');
type SigningKeyring = import('../../../../lib/pipeline/approvals/links.js').SigningKeyring;

const KEYRING: SigningKeyring = { current: 'k2', keys: { k1: 'k1-secret-0123456789abcdefghijklmnopqrstuvwxyz', k2: 'k2-secret-0123456789abcdefghijklmnopqrstuvwxyz' } };
const NOW = new Date('2030-01-01T00:00:00Z');
const EXP = Math.floor(NOW.getTime() / 1000) + 3600;
const CLAIMS = { approvalId: 'abc123', approver: 'Ops@Acme.io', exp: EXP };
const GATE = { approvalId: 'abc123' };

function parameters(link: string) {
  const url = new URL(link);
  return { approvalId: url.pathname.split('/').pop()!, approver: url.searchParams.get('approver')!, exp: url.searchParams.get('exp')!, sig: url.searchParams.get('sig')! };
}

beforeEach(() => {
  compared.count = 0;
});

describe('signLink / verifyLink', () => {
  it('signs a personal link and verifies it', () => {
    const link = signLink('https://approve.example/', CLAIMS, KEYRING);

    expect(link).toMatch(/^https:\/\/approve\.example\/a\/abc123\?approver=ops%40acme\.io&exp=\d+&sig=v2\.k2\.[A-Za-z0-9_-]{43}$/);
    expect(verifyLink(parameters(link), KEYRING, NOW)).toEqual({ ok: true, approver: 'ops@acme.io', exp: EXP, keyId: 'k2' });
  });

  it('the signature is HMAC-SHA256 over the versioned string of what the URL carries (approval id, approver, expiry)', () => {
    const sig = parameters(signLink('https://x', CLAIMS, KEYRING)).sig;
    const expected = createHmac('sha256', KEYRING.keys.k2!).update(`stageline-link/v2\nabc123\nops@acme.io\n${EXP}`).digest('base64url');

    expect(sig).toBe(`v2.k2.${expected}`);
  });

  it('a v1 link (MAC over the run and environment of the gate record) is outdated, whatever its MAC', () => {
    const v1 = createHmac('sha256', KEYRING.keys.k2!).update(`stageline-link/v1\nabc123\nrun-1\napp-production\nops@acme.io\n${EXP}`).digest('base64url');
    expect(verifyLink({ approvalId: 'abc123', approver: 'ops@acme.io', exp: String(EXP), sig: `k2.${v1}` }, KEYRING, NOW)).toEqual({ ok: false, reason: 'outdated' });
  });

  it('compares the MAC in constant time', () => {
    const link = signLink('https://x', CLAIMS, KEYRING);
    verifyLink(parameters(link), KEYRING, NOW);
    expect(compared.count).toBe(1);
  });

  it('rotation: links signed with a key still in the ring verify; a dropped key is unknown', () => {
    const old = signLink('https://x', CLAIMS, { ...KEYRING, current: 'k1' });

    expect(verifyLink(parameters(old), KEYRING, NOW)).toMatchObject({ ok: true, keyId: 'k1' });
    expect(verifyLink(parameters(old), { current: 'k2', keys: { k2: KEYRING.keys.k2! } }, NOW)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('a key id that is an object property is unknown, not a crash', () => {
    const link = parameters(signLink('https://x', CLAIMS, KEYRING));
    expect(verifyLink({ ...link, sig: link.sig.replace('.k2.', '.constructor.') }, KEYRING, NOW)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(verifyLink({ ...link, sig: link.sig.replace('.k2.', '.__proto__.') }, KEYRING, NOW)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it.each([
    ['approver', { approver: 'lead@acme.io' }],
    ['expiry', { exp: String(EXP + 1) }],
    ['signature', { sig: 'v2.k2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['signature length', { sig: 'v2.k2.AAAA' }],
  ])('a changed %s is tampered', (_, change) => {
    const link = parameters(signLink('https://x', CLAIMS, KEYRING));
    expect(verifyLink({ ...link, ...change }, KEYRING, NOW)).toEqual({ ok: false, reason: 'tampered' });
  });

  it('a link presented for another approval id (another gate: another run or environment) is tampered', () => {
    const link = parameters(signLink('https://x', CLAIMS, KEYRING));
    expect(verifyLink({ ...link, approvalId: 'other' }, KEYRING, NOW)).toEqual({ ok: false, reason: 'tampered' });
  });

  it('expires at exp; an expired but tampered link is tampered (expiry is only said of authentic links)', () => {
    const link = parameters(signLink('https://x', CLAIMS, KEYRING));
    const later = new Date(EXP * 1000);

    expect(verifyLink(link, KEYRING, new Date(EXP * 1000 - 1000))).toMatchObject({ ok: true });
    expect(verifyLink(link, KEYRING, later)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyLink({ ...link, approver: 'x@y.z' }, KEYRING, later)).toEqual({ ok: false, reason: 'tampered' });
  });

  it.each([{ sig: undefined }, { sig: 'nodot' }, { sig: 'v3.k2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, { exp: 'soon' }, { approver: '' }, { approvalId: '../x' }])('malformed parameters %j are refused', (change) => {
    const link = parameters(signLink('https://x', CLAIMS, KEYRING));
    expect(verifyLink({ ...link, ...change }, KEYRING, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('approvalLinksFor: one link per approver, valid until the gate expires', () => {
    const links = approvalLinksFor({ ...GATE, approvers: ['ops@acme.io', 'lead@acme.io'], expiresAt: '2030-01-02T00:00:00.000Z' }, 'https://approve.example', KEYRING);

    expect(links.map((link) => link.approver)).toEqual(['ops@acme.io', 'lead@acme.io']);
    expect(verifyLink(parameters(links[1]!.url), KEYRING, NOW)).toMatchObject({ ok: true, approver: 'lead@acme.io', exp: Date.parse('2030-01-02T00:00:00Z') / 1000 });
  });
});

describe('form tokens', () => {
  const expected = { approvalId: 'abc123', approver: 'ops@acme.io' };

  it('a fresh token verifies for its approval and approver', () => {
    const token = issueFormToken({ ...expected, now: NOW }, KEYRING);
    expect(verifyFormToken(token, expected, KEYRING, NOW)).toMatchObject({ ok: true, claims: { approvalId: 'abc123', approver: 'ops@acme.io' } });
    expect(compared.count).toBe(1);
  });

  it('lives 15 minutes, never past the link', () => {
    const token = issueFormToken({ ...expected, now: NOW }, KEYRING);
    const short = issueFormToken({ ...expected, now: NOW, notAfter: NOW.getTime() / 1000 + 60 }, KEYRING);

    expect(verifyFormToken(token, expected, KEYRING, new Date(NOW.getTime() + 14 * 60_000))).toMatchObject({ ok: true });
    expect(verifyFormToken(token, expected, KEYRING, new Date(NOW.getTime() + 15 * 60_000))).toEqual({ ok: false, reason: 'expired' });
    expect(verifyFormToken(short, expected, KEYRING, new Date(NOW.getTime() + 61_000))).toEqual({ ok: false, reason: 'expired' });
  });

  it('is bound to the approval and the approver', () => {
    const token = issueFormToken({ ...expected, now: NOW }, KEYRING);
    expect(verifyFormToken(token, { ...expected, approvalId: 'other' }, KEYRING, NOW)).toEqual({ ok: false, reason: 'wrong-approval' });
    expect(verifyFormToken(token, { ...expected, approver: 'lead@acme.io' }, KEYRING, NOW)).toEqual({ ok: false, reason: 'wrong-approver' });
  });

  it('refuses missing, malformed, tampered and retired-key tokens', () => {
    const token = issueFormToken({ ...expected, now: NOW }, KEYRING);
    const [kid, payload, mac] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ a: 'abc123', p: 'ops@acme.io', iat: 0, exp: 9_999_999_999 })).toString('base64url');

    expect(verifyFormToken(undefined, expected, KEYRING, NOW)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyFormToken('abc', expected, KEYRING, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyFormToken(`${kid}.${forged}.${mac}`, expected, KEYRING, NOW)).toEqual({ ok: false, reason: 'tampered' });
    expect(verifyFormToken(`k9.${payload}.${mac}`, expected, KEYRING, NOW)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('a link signature is not a form token (domain separation)', () => {
    const sig = parameters(signLink('https://x', CLAIMS, KEYRING)).sig;
    expect(verifyFormToken(sig, expected, KEYRING, NOW).ok).toBe(false);
  });

  it('minAgeSeconds refuses a form posted faster than a person reads', () => {
    const token = issueFormToken({ ...expected, now: NOW }, KEYRING);
    expect(verifyFormToken(token, expected, KEYRING, new Date(NOW.getTime() + 1000), { minAgeSeconds: 3 })).toEqual({ ok: false, reason: 'too-early' });
    expect(verifyFormToken(token, expected, KEYRING, new Date(NOW.getTime() + 3000), { minAgeSeconds: 3 })).toMatchObject({ ok: true });
  });
});

describe('keyrings', () => {
  it('parses the secret and refuses weak or inconsistent ones without echoing the keys', () => {
    expect(parseKeyring(JSON.stringify(KEYRING))).toEqual(KEYRING);
    expect(() => parseKeyring('{"current":"k1","keys":{"k1":"short"}}')).toThrow(/k1 is shorter than 32/);
    expect(() => parseKeyring(JSON.stringify({ current: 'k3', keys: KEYRING.keys }))).toThrow(/current key "k3" is not in keys/);
    expect(() => parseKeyring('not json {short}')).toThrow(/not valid JSON/);
    try {
      parseKeyring('{"current":"k1","keys":{"k1":"short-secret"}}');
    } catch (error) {
      expect(String(error)).not.toContain('short-secret');
    }
  });

  it('signing with an invalid keyring fails loudly', () => {
    expect(() => signLink('https://x', CLAIMS, { current: 'k1', keys: {} })).toThrow(/current key/);
  });
});
