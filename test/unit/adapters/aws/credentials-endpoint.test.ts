import { fromHttp } from '@aws-sdk/credential-provider-http';
import { afterEach, describe, expect, it } from 'vitest';
import type { AssumedCredentials } from '../../../../lib/adapters/aws/clients-for-job.js';
import { refreshDelayMs, startCredentialsEndpoint, type CredentialsEndpoint } from '../../../../lib/adapters/aws/credentials-endpoint.js';

const MINUTE = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(10)) if (Date.now() > deadline) throw new Error('condition not met in time');
}

/** An STS stand-in: session n has key ASIA<n>, and lasts `sessionMs`. */
function fakeSts(sessionMs: number, failures: Set<number> = new Set()) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    assume: async (): Promise<AssumedCredentials> => {
      calls++;
      if (failures.has(calls)) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      return { accessKeyId: `ASIA${calls}`, secretAccessKey: `secret-${calls}`, sessionToken: `token-${calls}`, expiration: new Date(Date.now() + sessionMs) };
    },
  };
}

const open: CredentialsEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((endpoint) => endpoint.close()));
});

async function start(sts: ReturnType<typeof fakeSts>, logs: string[] = [], extra: { minRefreshDelayMs?: number; retryDelayMs?: number; refreshMarginMs?: number } = {}) {
  const endpoint = await startCredentialsEndpoint({ assume: sts.assume, describe: 'role/deployer for app-dev', log: (line) => logs.push(line), ...extra });
  open.push(endpoint);
  return endpoint;
}

function get(endpoint: CredentialsEndpoint, init: { token?: string | null; path?: string; method?: string } = {}) {
  const url = new URL(endpoint.environment.AWS_CONTAINER_CREDENTIALS_FULL_URI);
  if (init.path !== undefined) url.pathname = init.path;
  const token = init.token === undefined ? endpoint.environment.AWS_CONTAINER_AUTHORIZATION_TOKEN : init.token;
  return fetch(url, { method: init.method ?? 'GET', headers: token === null ? {} : { Authorization: token } });
}

describe('the environment role credentials endpoint (loopback, container-provider format)', () => {
  it('answers with the assumed credentials in the format the SDKs read, at a random loopback URL', async () => {
    const endpoint = await start(fakeSts(60 * MINUTE));
    expect(endpoint.environment.AWS_CONTAINER_CREDENTIALS_FULL_URI).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/);
    expect(endpoint.environment.AWS_CONTAINER_AUTHORIZATION_TOKEN).toMatch(/^[\w-]{43}$/);

    const response = await get(endpoint);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, string>;
    expect(body).toMatchObject({ AccessKeyId: 'ASIA1', SecretAccessKey: 'secret-1', Token: 'token-1' });
    expect(Date.parse(body.Expiration!) - Date.now()).toBeGreaterThan(59 * MINUTE);

    // The JS SDK's own container provider, configured as a command's environment would be.
    const credentials = await fromHttp({
      awsContainerCredentialsFullUri: endpoint.environment.AWS_CONTAINER_CREDENTIALS_FULL_URI,
      awsContainerAuthorizationToken: endpoint.environment.AWS_CONTAINER_AUTHORIZATION_TOKEN,
    })();
    expect(credentials).toMatchObject({ accessKeyId: 'ASIA1', secretAccessKey: 'secret-1', sessionToken: 'token-1' });
  });

  it('refuses a request without the token, with a wrong one, at another path or with another method, and says nothing about the credentials', async () => {
    const endpoint = await start(fakeSts(60 * MINUTE));
    const token = endpoint.environment.AWS_CONTAINER_AUTHORIZATION_TOKEN;
    const answers = [await get(endpoint, { token: null }), await get(endpoint, { token: `${token}x` }), await get(endpoint, { token: token.slice(1) }), await get(endpoint, { path: '/' }), await get(endpoint, { method: 'POST' })];
    expect(answers.map((response) => response.status)).toEqual([403, 403, 403, 404, 405]);
    for (const response of answers) expect(await response.text()).not.toMatch(/ASIA|secret-|token-/);
  });

  it('renews the session before it expires: a later request gets the new credentials, each valid for at least the margin', async () => {
    const logs: string[] = [];
    const sts = fakeSts(1_200);
    const endpoint = await start(sts, logs, { minRefreshDelayMs: 10, refreshMarginMs: 600 });
    const first = (await (await get(endpoint)).json()) as Record<string, string>;
    const renewals = sts.calls;
    await until(() => sts.calls > renewals && logs.some((line) => line.includes('session renewed'))); // after 600 ms
    const second = (await (await get(endpoint)).json()) as Record<string, string>;

    expect(second.AccessKeyId).not.toBe(first.AccessKeyId);
    expect(Date.parse(second.Expiration!)).toBeGreaterThan(Date.parse(first.Expiration!));
    expect(logs[0]).toMatch(/^role\/deployer for app-dev: assumed, session valid until \d{4}-.*loopback credentials endpoint/);
    expect(logs.some((line) => /^role\/deployer for app-dev: session renewed, valid until /.test(line))).toBe(true);
  });

  it('a renewal that fails keeps serving the current (still valid) credentials, logs why, and tries again', async () => {
    const logs: string[] = [];
    const sts = fakeSts(800, new Set([2]));
    const endpoint = await start(sts, logs, { minRefreshDelayMs: 10, refreshMarginMs: 600, retryDelayMs: 50 });
    // The renewal at 400 ms (half the lifetime) fails, the retry 50 ms later succeeds.
    await until(() => sts.calls >= 3 && logs.some((line) => line.includes('session renewed')));
    expect(logs.some((line) => /could not renew the session \(Rate exceeded\); the current one is valid until .*, trying again in \d+ ms$/.test(line))).toBe(true);
    expect((((await (await get(endpoint)).json()) as Record<string, string>).AccessKeyId)).toMatch(/^ASIA[3-9]$/);
  });

  it('the first assumption failing is the caller’s error, and nothing listens', async () => {
    const sts = fakeSts(60 * MINUTE, new Set([1]));
    await expect(startCredentialsEndpoint({ assume: sts.assume, describe: 'r', log: () => undefined })).rejects.toThrow('Rate exceeded');
  });

  it('close stops answering and renewing', async () => {
    const sts = fakeSts(400);
    const endpoint = await start(sts, [], { minRefreshDelayMs: 10, refreshMarginMs: 300 });
    await endpoint.close();
    await expect(get(endpoint)).rejects.toThrow();
    await sleep(500); // past the renewal that was due at 200 ms
    expect(sts.calls).toBe(1);
    await endpoint.close(); // idempotent
  });
});

describe('refreshDelayMs', () => {
  const at = (issuedAt: number, lifetime: number) => ({ issuedAt, expiresAt: issuedAt + lifetime });

  it('renews a one-hour session (the role-chaining maximum) after 40 minutes: 20 minutes before it expires', () => {
    expect(refreshDelayMs(at(0, 60 * MINUTE), 0)).toBe(40 * MINUTE);
    expect(refreshDelayMs(at(0, 60 * MINUTE), 10 * MINUTE)).toBe(30 * MINUTE);
  });

  it('never before half the lifetime of a short session, never sooner than the minimum, never a timer that overflows', () => {
    expect(refreshDelayMs(at(0, 15 * MINUTE), 0)).toBe(7.5 * MINUTE);
    expect(refreshDelayMs(at(0, 60 * MINUTE), 59 * MINUTE)).toBe(1_000);
    expect(refreshDelayMs(at(0, -5 * MINUTE), 0)).toBe(1_000); // an expiry in the past: no spinning
    expect(refreshDelayMs(at(0, 400 * 24 * 60 * MINUTE), 0)).toBe(24 * 60 * MINUTE);
  });
});
