import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AssumedCredentials } from './clients-for-job.js';

/**
 * How long before the credentials expire the endpoint re-assumes the role: every answer is valid
 * for at least this long. Longer than the refresh windows of the tools that read it (botocore and
 * the AWS CLI refresh 15 min before expiry, the JS SDK 5 min, the Go SDK 5 min), so a tool that
 * refreshes always gets the new session, never the one about to expire.
 */
export const DEFAULT_REFRESH_MARGIN_MS = 20 * 60_000;

/** Never re-assume more often than this (a session shorter than expected must not spin). */
const MIN_REFRESH_DELAY_MS = 1_000;
/** A timer longer than ~24.8 days overflows (Node fires it at once): cap the wait. */
const MAX_TIMER_MS = 24 * 3_600_000;
/** A session STS gave without an expiry is treated as the usual one hour. */
const DEFAULT_SESSION_MS = 3_600_000;

/**
 * The variables that point a process's AWS SDKs and CLI at the endpoint (the container credential
 * provider: ECS, EKS Pod Identity and CodeBuild use the same): the full loopback URL, and the
 * value of the `Authorization` header it demands.
 */
export interface ContainerCredentialsEnvironment {
  AWS_CONTAINER_CREDENTIALS_FULL_URI: string;
  AWS_CONTAINER_AUTHORIZATION_TOKEN: string;
}

export interface CredentialsEndpointOptions {
  /** Assumes the role. Called once by {@link startCredentialsEndpoint} (its error is thrown from there) and again before each expiry. */
  assume: () => Promise<AssumedCredentials>;
  /** Names the credentials in log lines, e.g. `arn:aws:iam::222222222222:role/deployer for app-production`. */
  describe: string;
  log: (line: string) => void;
  /** Default {@link DEFAULT_REFRESH_MARGIN_MS}. */
  refreshMarginMs?: number;
  /** Default 1 s (tests make it shorter). */
  minRefreshDelayMs?: number;
  /** After a failed refresh, how long until the next attempt (capped by a quarter of the time left). Default 30 s. */
  retryDelayMs?: number;
}

export interface CredentialsEndpoint {
  /** What the provisioner's commands get in their environment. */
  readonly environment: ContainerCredentialsEnvironment;
  /** Stops answering and refreshing (idempotent). */
  close(): Promise<void>;
}

interface Session {
  credentials: AssumedCredentials;
  /** When it was assumed and when it expires (ms since the epoch). */
  issuedAt: number;
  expiresAt: number;
}

/**
 * When to re-assume a session issued at `issuedAt` that expires at `expiresAt`: `margin` before
 * its expiry, but never before half its lifetime is over nor sooner than `minDelay` from `now`.
 * A one-hour session with the default 20-minute margin is renewed after 40 minutes.
 */
export function refreshDelayMs(session: { issuedAt: number; expiresAt: number }, now: number, margin = DEFAULT_REFRESH_MARGIN_MS, minDelay = MIN_REFRESH_DELAY_MS): number {
  const lifetime = session.expiresAt - session.issuedAt;
  const refreshAt = session.issuedAt + Math.max(lifetime - margin, lifetime / 2);
  return Math.min(Math.max(refreshAt - now, minDelay), MAX_TIMER_MS);
}

/**
 * A credentials endpoint on loopback for the provisioner's commands (docs/aws.md, "Environment
 * roles"): it assumes the environment's role now, answers
 * `GET http://127.0.0.1:<port>/<random path>` carrying `Authorization: <token>` with
 * `{ AccessKeyId, SecretAccessKey, Token, Expiration }` — the container credential provider's
 * format, read by every AWS SDK and the AWS CLI when `AWS_CONTAINER_CREDENTIALS_FULL_URI` and
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN` are set — and re-assumes the role in the background before
 * the session expires, so an apply longer than the one-hour role-chaining limit keeps working.
 *
 * Answers come from memory at once (the SDKs give the endpoint one second). Anything else gets a
 * bare 403/404/405: a wrong token, another path, another method. The path and the token are
 * random per job and compared in constant time; the runner's own credentials never pass here.
 */
export async function startCredentialsEndpoint(options: CredentialsEndpointOptions): Promise<CredentialsEndpoint> {
  const margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  const minDelay = options.minRefreshDelayMs ?? MIN_REFRESH_DELAY_MS;
  const retryDelay = options.retryDelayMs ?? 30_000;
  const path = `/${randomBytes(16).toString('hex')}`;
  const token = randomBytes(32).toString('base64url');
  const expectedToken = digest(token);

  let session = await assumeSession(options.assume);
  options.log(`${options.describe}: assumed, session valid until ${iso(session.expiresAt)}; the provisioner's commands read it from a loopback credentials endpoint that renews it before it expires`);

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;

  const schedule = (delay: number) => {
    if (closed) return;
    timer = setTimeout(() => void refresh(), delay);
    timer.unref();
  };
  const refresh = (): Promise<void> =>
    (refreshing ??= (async () => {
      try {
        const next = await assumeSession(options.assume);
        if (closed) return;
        session = next;
        options.log(`${options.describe}: session renewed, valid until ${iso(session.expiresAt)}`);
        schedule(refreshDelayMs(session, Date.now(), margin, minDelay));
      } catch (error) {
        if (closed) return;
        const left = session.expiresAt - Date.now();
        const again = Math.max(Math.min(retryDelay, left / 4), minDelay);
        options.log(
          `${options.describe}: could not renew the session (${reasonOf(error)}); ${left > 0 ? `the current one is valid until ${iso(session.expiresAt)}` : 'the current one has expired'}, trying again in ${again < 1_000 ? `${Math.round(again)} ms` : `${Math.round(again / 1000)} s`}`,
        );
        schedule(again);
      } finally {
        refreshing = undefined;
      }
    })());
  schedule(refreshDelayMs(session, Date.now(), margin, minDelay));

  const server = createServer((request, response) => {
    void answer(request, response);
  });
  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? '';
    if (url.split('?')[0] !== path) return deny(response, 404, 'not found');
    if (request.method !== 'GET' && request.method !== 'HEAD') return deny(response, 405, 'method not allowed');
    const given = request.headers.authorization;
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expectedToken)) return deny(response, 403, 'forbidden');
    // Normally answered from memory; a session that expired (renewals failed) is renewed first.
    if (session.expiresAt <= Date.now() + minDelay) await refresh().catch(() => undefined);
    if (session.expiresAt <= Date.now()) return deny(response, 503, `the credentials of ${options.describe} could not be renewed`);
    const { credentials } = session;
    const body = JSON.stringify({
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      Token: credentials.sessionToken,
      Expiration: iso(session.expiresAt),
    });
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  };

  const port = await listen(server);
  return {
    environment: {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}${path}`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
    },
    close: async () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function assumeSession(assume: () => Promise<AssumedCredentials>): Promise<Session> {
  const issuedAt = Date.now();
  const credentials = await assume();
  const expiresAt = credentials.expiration?.getTime() ?? issuedAt + DEFAULT_SESSION_MS;
  return { credentials, issuedAt, expiresAt };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function deny(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify({ code: status === 503 ? 'CredentialsUnavailable' : 'AccessDenied', message }));
}

/** Same length whatever was sent, so the comparison is constant-time and says nothing about the token's length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
