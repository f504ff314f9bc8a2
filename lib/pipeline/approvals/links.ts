import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../../errors.js';
import type { GateRecord } from './gate.js';

/**
 * Signed personal approval links and the short-lived form tokens of the confirmation page.
 *
 * A link (v2) is `https://<base>/a/<approvalId>?approver=<email>&exp=<unix>&sig=v2.<kid>.<mac>`
 * where `mac` = base64url(HMAC-SHA256(key[kid], "stageline-link/v2\n<approvalId>\n<approver>\n<exp>")).
 * The MAC covers exactly what the URL carries, so a link is verified — and an expired one refused —
 * before anything is read: a request with a bad signature costs no S3 read. The approval id is the
 * gate's (a digest of its run and environment, `approvalIdFor`), so a link can only ever decide the
 * gate it was issued for.
 *
 * v1 links (`sig=<kid>.<mac>`, MAC over the run and environment read from the gate record) are
 * refused as `outdated` without a read: links e-mailed before the upgrade cannot be verified
 * without reading S3 first (docs/aws.md §12, "Upgrading from v1 links").
 *
 * A form token is `<kid>.<payload>.<mac>`, payload = base64url(JSON {a, p, iat, exp}), mac over
 * "stageline-form/v1\n<payload>". Distinct prefixes ("domain separation") mean a link signature
 * can never be presented as a form token, or the other way round.
 *
 * Keys come from a keyring (`{ current: 'k2', keys: { k1, k2 } }`, stored in Secrets Manager in
 * AWS): new links are signed with `current`, any key still in `keys` verifies, so rotation is
 * "add k3 and make it current; drop k1 once its links have expired".
 */
export interface SigningKeyring {
  /** Key id used to sign new links and form tokens. */
  current: string;
  /** Key id → secret (at least 32 characters; random, e.g. 32 bytes base64url). */
  keys: Record<string, string>;
}

/** What a link binds together; the signature covers all of it, and the URL carries all of it. */
export interface LinkClaims {
  approvalId: string;
  /** The approver's email; compared and signed lower-cased. */
  approver: string;
  /** Expiry, unix seconds. */
  exp: number;
}

/** The query parameters of a link as they arrive (untrusted). */
export interface LinkParameters {
  approvalId: string;
  approver?: string;
  exp?: string;
  sig?: string;
}

export type LinkRefusal = 'malformed' | 'tampered' | 'expired' | 'unknown-key' | 'outdated';

export type LinkVerification = { ok: true; approver: string; exp: number; keyId: string } | { ok: false; reason: LinkRefusal };

const LINK_CONTEXT = 'stageline-link/v2';
const LINK_VERSION = 'v2';
const APPROVAL_ID = /^[A-Za-z0-9_-]{1,64}$/;
const FORM_CONTEXT = 'stageline-form/v1';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const MAC_BASE64URL = /^[A-Za-z0-9_-]{43}$/;
const MIN_KEY_LENGTH = 32;
/** Form tokens live 15 minutes (never past the link's own expiry). */
export const FORM_TOKEN_TTL_SECONDS = 15 * 60;

/** Throws ConfigError unless the keyring can sign: a current key that exists, every key long enough. */
export function assertKeyring(keyring: SigningKeyring): void {
  if (!keyring || typeof keyring !== 'object' || typeof keyring.keys !== 'object' || keyring.keys === null) {
    throw new ConfigError('approval signing keyring: expected { "current": "<kid>", "keys": { "<kid>": "<secret>" } }');
  }
  for (const [id, secret] of Object.entries(keyring.keys)) {
    if (!KEY_ID.test(id)) throw new ConfigError(`approval signing keyring: key id ${JSON.stringify(id)} must be 1-32 letters, digits, '_' or '-'`);
    if (typeof secret !== 'string' || secret.length < MIN_KEY_LENGTH) {
      throw new ConfigError(`approval signing keyring: key ${id} is shorter than ${MIN_KEY_LENGTH} characters`, { hint: 'generate one with `openssl rand -base64 32`' });
    }
  }
  if (!keyring.keys[keyring.current]) {
    throw new ConfigError(`approval signing keyring: the current key ${JSON.stringify(keyring.current)} is not in keys`);
  }
}

/** Parses the keyring secret (JSON) as stored in Secrets Manager; never echoes its content. */
export function parseKeyring(text: string, source = 'approval signing keyring'): SigningKeyring {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${source}: not valid JSON`, { hint: 'expected { "current": "k1", "keys": { "k1": "<secret>" } }' });
  }
  const keyring = value as SigningKeyring;
  assertKeyring(keyring);
  return { current: keyring.current, keys: { ...keyring.keys } };
}

/** A fresh single-key keyring (local mode: links live as long as the process that printed them). */
export function randomKeyring(keyId = 'local'): SigningKeyring {
  return { current: keyId, keys: { [keyId]: randomBytes(32).toString('base64url') } };
}

export function normalizeApprover(approver: string): string {
  return approver.trim().toLowerCase();
}

function linkMessage(claims: LinkClaims): string {
  return [LINK_CONTEXT, claims.approvalId, normalizeApprover(claims.approver), String(claims.exp)].join('\n');
}

function mac(secret: string, message: string): Buffer {
  return createHmac('sha256', secret).update(message, 'utf8').digest();
}

/** Constant-time comparison of a presented base64url MAC with the expected one. */
function macMatches(presented: string, expected: Buffer): boolean {
  if (!MAC_BASE64URL.test(presented)) return false;
  const bytes = Buffer.from(presented, 'base64url');
  // Lengths are public (always 32 bytes); only the content is compared in constant time.
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

/** `v2.<kid>.<base64url mac>` over the link claims, with the keyring's current key. */
export function linkSignature(claims: LinkClaims, keyring: SigningKeyring): string {
  assertKeyring(keyring);
  return `${LINK_VERSION}.${keyring.current}.${mac(keyring.keys[keyring.current]!, linkMessage(claims)).toString('base64url')}`;
}

/** The personal link of one approver: `<baseUrl>/a/<approvalId>?approver=&exp=&sig=`. */
export function signLink(baseUrl: string, claims: LinkClaims, keyring: SigningKeyring): string {
  const query = new URLSearchParams({ approver: normalizeApprover(claims.approver), exp: String(claims.exp), sig: linkSignature(claims, keyring) });
  return `${baseUrl.replace(/\/+$/, '')}/a/${encodeURIComponent(claims.approvalId)}?${query.toString()}`;
}

/**
 * Checks a presented link on its own — shape, key, MAC, expiry — with nothing read: only an
 * authentic, unexpired link gets its gate looked up. The signature is checked before the expiry,
 * so "expired" is only ever said of an authentic link.
 */
export function verifyLink(presented: LinkParameters, keyring: SigningKeyring, now: Date): LinkVerification {
  const approver = normalizeApprover(presented.approver ?? '');
  const expText = presented.exp ?? '';
  const parts = (presented.sig ?? '').split('.');
  if (!APPROVAL_ID.test(presented.approvalId) || !approver || approver.length > 320 || !/^\d{1,12}$/.test(expText)) return { ok: false, reason: 'malformed' };
  if (parts.length === 2 && KEY_ID.test(parts[0]!) && MAC_BASE64URL.test(parts[1]!)) return { ok: false, reason: 'outdated' };
  if (parts.length !== 3 || parts[0] !== LINK_VERSION) return { ok: false, reason: 'malformed' };
  const [, keyId, presentedMac] = parts as [string, string, string];
  const secret = KEY_ID.test(keyId) && Object.hasOwn(keyring.keys, keyId) ? keyring.keys[keyId] : undefined;
  if (!secret) return { ok: false, reason: 'unknown-key' };
  const exp = Number(expText);
  const expectedMac = mac(secret, linkMessage({ approvalId: presented.approvalId, approver, exp }));
  if (!macMatches(presentedMac, expectedMac)) return { ok: false, reason: 'tampered' };
  if (Math.floor(now.getTime() / 1000) >= exp) return { ok: false, reason: 'expired' };
  return { ok: true, approver, exp, keyId };
}

// --- Form tokens ------------------------------------------------------------------------------------

/** What a form token binds: the gate, the approver, when it was issued and until when it is valid. */
export interface FormTokenClaims {
  approvalId: string;
  approver: string;
  /** Issued at, unix seconds. */
  iat: number;
  /** Expires at, unix seconds. */
  exp: number;
}

export type FormTokenRefusal = 'missing' | 'malformed' | 'tampered' | 'unknown-key' | 'expired' | 'too-early' | 'wrong-approval' | 'wrong-approver';

export type FormTokenVerification = { ok: true; claims: FormTokenClaims } | { ok: false; reason: FormTokenRefusal };

/**
 * A form token for the confirmation page: valid for `ttlSeconds` (default 15 minutes) and never
 * past `notAfter` (the link's own expiry).
 */
export function issueFormToken(
  input: { approvalId: string; approver: string; now: Date; ttlSeconds?: number; notAfter?: number },
  keyring: SigningKeyring,
): string {
  assertKeyring(keyring);
  const iat = Math.floor(input.now.getTime() / 1000);
  const exp = Math.min(iat + (input.ttlSeconds ?? FORM_TOKEN_TTL_SECONDS), input.notAfter ?? Number.MAX_SAFE_INTEGER);
  const claims = { a: input.approvalId, p: normalizeApprover(input.approver), iat, exp };
  const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `${keyring.current}.${payload}.${mac(keyring.keys[keyring.current]!, `${FORM_CONTEXT}\n${payload}`).toString('base64url')}`;
}

/**
 * Checks a posted form token: authentic, unexpired, issued for this approval and this approver.
 * `minAgeSeconds` (default 0) refuses a token posted sooner than a person could have read the page.
 */
export function verifyFormToken(
  token: string | undefined,
  expected: { approvalId: string; approver: string },
  keyring: SigningKeyring,
  now: Date,
  options: { minAgeSeconds?: number } = {},
): FormTokenVerification {
  if (!token) return { ok: false, reason: 'missing' };
  const parts = token.split('.');
  if (parts.length !== 3 || token.length > 2048) return { ok: false, reason: 'malformed' };
  const [keyId, payload, presentedMac] = parts as [string, string, string];
  const secret = KEY_ID.test(keyId) && Object.hasOwn(keyring.keys, keyId) ? keyring.keys[keyId] : undefined;
  if (!secret) return { ok: false, reason: 'unknown-key' };
  if (!macMatches(presentedMac, mac(secret, `${FORM_CONTEXT}\n${payload}`))) return { ok: false, reason: 'tampered' };
  let decoded: { a?: unknown; p?: unknown; iat?: unknown; exp?: unknown };
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof decoded;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof decoded.a !== 'string' || typeof decoded.p !== 'string' || typeof decoded.iat !== 'number' || typeof decoded.exp !== 'number') {
    return { ok: false, reason: 'malformed' };
  }
  const claims: FormTokenClaims = { approvalId: decoded.a, approver: decoded.p, iat: decoded.iat, exp: decoded.exp };
  const seconds = Math.floor(now.getTime() / 1000);
  if (claims.approvalId !== expected.approvalId) return { ok: false, reason: 'wrong-approval' };
  if (claims.approver !== normalizeApprover(expected.approver)) return { ok: false, reason: 'wrong-approver' };
  if (seconds >= claims.exp) return { ok: false, reason: 'expired' };
  if (seconds - claims.iat < (options.minAgeSeconds ?? 0)) return { ok: false, reason: 'too-early' };
  return { ok: true, claims };
}

/**
 * One personal link per approver of a gate, valid until the gate expires: what
 * `requestApprovalStep`'s `approvalLinks` returns (AWS: the function URL; locally: the local server).
 */
export function approvalLinksFor(
  gate: Pick<GateRecord, 'approvalId' | 'approvers' | 'expiresAt'>,
  baseUrl: string,
  keyring: SigningKeyring,
): { approver: string; url: string }[] {
  const exp = Math.floor(Date.parse(gate.expiresAt) / 1000);
  return gate.approvers.map((approver) => ({
    approver,
    url: signLink(baseUrl, { approvalId: gate.approvalId, approver, exp }, keyring),
  }));
}
