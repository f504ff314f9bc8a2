import { createHash, createHmac } from 'node:crypto';
import { StagelineError } from '../../errors.js';
import { BuildNotAuthenticatedError, type AuthenticatedCaller, type BuildAuthenticator } from '../../pipeline/workflow/start-pipeline.js';

/**
 * Who triggered a build, as AWS authenticated it (docs/aws.md §5, "Who triggered it").
 *
 * The build system proves its identity the way aws-iam-authenticator and Vault's AWS auth method
 * do: it signs — without sending — an STS `GetCallerIdentity` request (SigV4, query-presigned,
 * valid {@link PROOF_LIFETIME_SECONDS}) whose signed header {@link BUILD_DIGEST_HEADER} is the
 * sha256 of the build record, and puts the URL in the record (`callerProof`). start-pipeline
 * sends that request to STS with the header recomputed from the record it received: STS answers
 * with the signer's ARN only if the signature holds, so the proof is good for that record only,
 * for a quarter of an hour, and names the principal whose credentials signed it. Nobody can make
 * one without that principal's secret key; the URL carries no secret key (a session token, if
 * any, is useless without it).
 */

/** The signed header that binds a proof to one build record: the record's sha256, hex. */
export const BUILD_DIGEST_HEADER = 'x-stageline-build-sha256';
/** How long a proof is valid after it was signed. */
export const PROOF_LIFETIME_SECONDS = 900;
/** A proof dated this far in the future (clock skew) is still accepted, as AWS does. */
const CLOCK_SKEW_MS = 5 * 60_000;
const STS_TIMEOUT_MS = 5000;
const ALLOWED_QUERY = new Set(['Action', 'Version', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token']);
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface PresignInput {
  credentials: SigningCredentials;
  region: string;
  /** sha256 (hex) of the build record the proof is for (`buildRecordDigest`). */
  recordDigest: string;
  /** STS endpoint; default `https://sts.<region>.amazonaws.com`. */
  endpoint?: string;
  now?: Date;
}

/** The regional STS endpoint, or the one AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL names (an emulated account). */
export function stsEndpoint(region: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_ENDPOINT_URL_STS?.trim() || env.AWS_ENDPOINT_URL?.trim() || `https://sts.${region}.amazonaws.com`;
}

/** A SigV4 query-presigned `GET /?Action=GetCallerIdentity` bound to one build record. */
export function presignCallerIdentity(input: PresignInput): string {
  const endpoint = new URL(input.endpoint ?? `https://sts.${input.region}.amazonaws.com`);
  const amzDate = (input.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${input.region}/sts/aws4_request`;
  const signedHeaders = `host;${BUILD_DIGEST_HEADER}`;
  const query: Array<[string, string]> = [
    ['Action', 'GetCallerIdentity'],
    ['Version', '2011-06-15'],
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${input.credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(PROOF_LIFETIME_SECONDS)],
    ['X-Amz-SignedHeaders', signedHeaders],
  ];
  if (input.credentials.sessionToken) query.push(['X-Amz-Security-Token', input.credentials.sessionToken]);
  const canonicalQuery = query
    .map(([key, value]) => [rfc3986(key), rfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${endpoint.host}`, `${BUILD_DIGEST_HEADER}:${input.recordDigest}`, '', signedHeaders, EMPTY_SHA256].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${input.credentials.secretAccessKey}`, day);
  for (const part of [input.region, 'sts', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `${endpoint.origin}/?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

export interface StsBuildAuthenticatorOptions {
  /**
   * An STS endpoint the function itself is configured with (AWS_ENDPOINT_URL_STS /
   * AWS_ENDPOINT_URL: an emulated account), accepted besides AWS's own. Never taken from the proof.
   */
  extraEndpoint?: string;
  fetch?: typeof fetch;
  now?: () => Date;
}

/**
 * start-pipeline's side: checks a proof's shape (an STS endpoint of AWS, GetCallerIdentity only,
 * the record's header signed, not expired), then sends it with the record's digest and takes the
 * identity from STS's answer. Nothing in the proof is trusted before STS has verified it; the URL
 * is only ever sent to STS.
 */
export class StsBuildAuthenticator implements BuildAuthenticator {
  private readonly fetch: typeof fetch;
  private readonly now: () => Date;
  private readonly extraOrigin: string | undefined;

  constructor(options: StsBuildAuthenticatorOptions = {}) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? (() => new Date());
    this.extraOrigin = options.extraEndpoint ? new URL(options.extraEndpoint).origin : undefined;
  }

  async authenticate(proof: string | undefined, recordDigest: string): Promise<AuthenticatedCaller> {
    if (!proof) throw new BuildNotAuthenticatedError('has no callerProof', 'publish it with `stageline deploy`, which signs the record (docs/aws.md §5, "Who triggered it")');
    const url = this.checkShape(proof);
    let response: Response;
    try {
      response = await this.fetch(url, { method: 'GET', headers: { [BUILD_DIGEST_HEADER]: recordDigest, accept: 'application/xml' }, redirect: 'error', signal: AbortSignal.timeout(STS_TIMEOUT_MS) });
    } catch (error) {
      // Not the proof's fault: the invocation fails and is retried.
      throw new StagelineError('STS_UNREACHABLE', `start-pipeline: STS did not answer the build's callerProof (${url.host}): ${(error as Error).message}`, { hint: 'retried by the asynchronous invocation' });
    }
    const body = await response.text();
    if (response.status >= 500 || response.status === 429 || /<Code>Throttling<\/Code>/.test(body)) {
      throw new StagelineError('STS_UNREACHABLE', `start-pipeline: STS answered ${response.status} to the build's callerProof`, { hint: 'retried by the asynchronous invocation' });
    }
    if (response.status !== 200) {
      const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1] ?? `HTTP ${response.status}`;
      throw new BuildNotAuthenticatedError(`has a callerProof STS refused (${code}): it was signed for another record, has expired, or is forged`, 'publish the build again with `stageline deploy` (a proof is valid 15 minutes, for the record it was signed with)');
    }
    const arn = xmlField(body, 'Arn');
    const account = xmlField(body, 'Account');
    if (!arn || !account || !arn.startsWith('arn:')) throw new BuildNotAuthenticatedError('has a callerProof whose STS answer names no caller', 'publish the build again with `stageline deploy`');
    return { arn, account, triggeredBy: triggeredByOf(arn) };
  }

  /** Refuses anything but a presigned GetCallerIdentity to STS that signs the record's header and is still valid. */
  private checkShape(proof: string): URL {
    const refuse = (what: string): never => {
      throw new BuildNotAuthenticatedError(`has a callerProof that is ${what}`, 'publish it with `stageline deploy`, which signs the record (docs/aws.md §5)');
    };
    let url: URL;
    try {
      url = new URL(proof);
    } catch {
      return refuse('not a URL');
    }
    const awsSts = url.protocol === 'https:' && url.port === '' && /^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/.test(url.hostname);
    if (!awsSts && url.origin !== this.extraOrigin) refuse(`not an STS endpoint of AWS (${url.host})`);
    if (url.pathname !== '/' || url.username || url.password || url.hash) refuse('not a plain STS request');
    const seen = new Set<string>();
    for (const key of url.searchParams.keys()) {
      if (!ALLOWED_QUERY.has(key)) refuse(`carrying an unexpected parameter ${JSON.stringify(key.slice(0, 40))}`);
      if (seen.has(key)) refuse(`carrying ${key} twice`);
      seen.add(key);
    }
    const query = url.searchParams;
    if (query.get('Action') !== 'GetCallerIdentity' || query.get('Version') !== '2011-06-15') refuse('not a GetCallerIdentity request');
    if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !query.get('X-Amz-Signature') || !query.get('X-Amz-Credential')) refuse('not SigV4-signed');
    const signed = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
    if (!signed.includes(BUILD_DIGEST_HEADER) || !signed.includes('host')) refuse(`not bound to the record (${BUILD_DIGEST_HEADER} is not signed)`);
    const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '');
    const expires = Number(query.get('X-Amz-Expires'));
    if (!date || !Number.isInteger(expires) || expires < 1) refuse('undated');
    const signedAt = Date.UTC(Number(date![1]), Number(date![2]) - 1, Number(date![3]), Number(date![4]), Number(date![5]), Number(date![6]));
    const now = this.now().getTime();
    if (signedAt > now + CLOCK_SKEW_MS) refuse('dated in the future');
    // Our own bound, whatever X-Amz-Expires says: a proof older than 15 minutes is refused.
    if (now > signedAt + Math.min(expires, PROOF_LIFETIME_SECONDS) * 1000) refuse(`expired (signed ${new Date(signedAt).toISOString()}, valid ${Math.min(expires, PROOF_LIFETIME_SECONDS)} s)`);
    return url;
  }
}

/**
 * The `triggeredBy` of an authenticated caller. An IAM Identity Center session
 * (`assumed-role/AWSReservedSSO_<set>_<id>/<user>`) is its user name, which AWS sets (usually the
 * person's email), so the approvers' "not the person who triggered" rule applies to a person
 * deploying with their own credentials. Any other caller is its ARN as STS returned it: the
 * session name of another role is whatever its assumer chose, so it names no one by itself.
 */
export function triggeredByOf(arn: string): string {
  const sso = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/AWSReservedSSO_[^/]+\/([^/]+)$/.exec(arn);
  return sso ? sso[1]! : arn;
}

function xmlField(body: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]{1,2048})</${name}>`).exec(body);
  return match?.[1]?.trim();
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
