import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One AWS API call that went through the account's endpoint. */
export interface ApiCall {
  principal: string;
  service: string;
  action: string;
  status: number;
  denied: boolean;
  /** The request body (JSON and query protocols); S3 object bodies are not kept. */
  body: string;
  /** The response body, as the caller received it. */
  response: string;
}

export interface ProxyAnswer {
  status: number;
  body: string;
  contentType?: string;
}

/**
 * Called after moto accepted a request (so IAM allowed it). It may replace moto's answer: a
 * callback reaching the running execution, a build being carried out.
 */
export type AfterAllowed = (call: { action: string; body: string; motoBody: string }) => Promise<ProxyAnswer | undefined>;

/**
 * The emulated account's single endpoint (`AWS_ENDPOINT_URL` of every function, the runner and the
 * test's own clients). Every request is forwarded unchanged to moto, which authenticates and
 * authorises it against IAM; the proxy records who called what and what was denied, and hands
 * the calls moto only accepts (Step Functions task callbacks and executions, CodeBuild builds) to
 * the harness that carries them out.
 */
export class AccountProxy {
  readonly calls: ApiCall[] = [];
  private readonly principals = new Map<string, string>();
  private readonly hooks = new Map<string, AfterAllowed>();
  private server: Server | undefined;
  endpoint = '';

  /** The state machine task tokens belong to (moto_server.py authorises SendTask* against it). */
  taskResource = '';

  constructor(private readonly motoEndpoint: string) {}

  /** Names the principal behind an access key (for the call log). */
  nameAccessKey(accessKeyId: string, principal: string): void {
    this.principals.set(accessKeyId, principal);
  }

  /** `service:Action` (e.g. `states:SendTaskSuccess`) → what to do once moto allowed it. */
  afterAllowed(serviceAction: string, hook: AfterAllowed): void {
    this.hooks.set(serviceAction, hook);
  }

  denied(): ApiCall[] {
    return this.calls.filter((call) => call.denied);
  }

  async start(): Promise<void> {
    const target = new URL(this.motoEndpoint);
    this.server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const requestBody = Buffer.concat(chunks);
        const target_ = String(incoming.headers['x-amz-target'] ?? '');
        // Not signed, so it does not disturb SigV4: tells moto which state machine a token is of.
        const headers = /^AWSStepFunctions\.SendTask/.test(target_) && this.taskResource ? { ...incoming.headers, 'x-stageline-task-resource': this.taskResource } : incoming.headers;
        const forwarded = httpRequest(
          { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers },
          (answer) => {
            const responseChunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => responseChunks.push(chunk));
            answer.on('end', () => {
              void this.complete(incoming.method ?? 'GET', incoming.url ?? '/', incoming.headers, requestBody, answer.statusCode ?? 500, answer.headers, Buffer.concat(responseChunks)).then(
                ({ status, headers, body }) => {
                  outgoing.writeHead(status, headers);
                  outgoing.end(body);
                },
                (error: unknown) => {
                  outgoing.writeHead(500, { 'content-type': 'text/plain' });
                  outgoing.end(`account proxy: ${String(error)}`);
                },
              );
            });
          },
        );
        forwarded.on('error', (error) => {
          outgoing.writeHead(502, { 'content-type': 'text/plain' });
          outgoing.end(`account proxy: moto unreachable: ${error.message}`);
        });
        forwarded.end(requestBody);
      });
    });
    // Long-polling clients (SQS) keep connections open; the server must not wait for them at close.
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async complete(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    requestBody: Buffer,
    status: number,
    responseHeaders: IncomingHttpHeaders,
    responseBody: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const { service, accessKeyId } = signingScope(headers, url);
    const isS3 = service === 's3';
    const body = isS3 ? '' : requestBody.toString('utf8');
    const action = actionOf(service, method, url, headers, body);
    const text = responseBody.toString('utf8');
    // An error answer only: a message received from a queue may quote an error's text.
    const denied = status === 403 || (status >= 400 && /AccessDenied|not authorized to perform|InvalidClientTokenId|SignatureDoesNotMatch/.test(text));
    const call: ApiCall = { principal: this.principals.get(accessKeyId) ?? accessKeyId, service, action, status, denied, body, response: isS3 ? '' : text };
    this.calls.push(call);

    const hook = status < 300 ? this.hooks.get(`${service}:${action}`) : undefined;
    if (!hook) return { status, headers: responseHeaders, body: responseBody };
    const replaced = await hook({ action, body, motoBody: text });
    if (!replaced) return { status, headers: responseHeaders, body: responseBody };
    call.status = replaced.status;
    call.response = replaced.body;
    const replacedBody = Buffer.from(replaced.body, 'utf8');
    return {
      status: replaced.status,
      headers: { 'content-type': replaced.contentType ?? 'application/x-amz-json-1.0', 'content-length': String(replacedBody.length), 'x-amzn-requestid': 'account-proxy' },
      body: replacedBody,
    };
  }
}

/**
 * The service and access key of a SigV4 request (`Credential=AKID/date/region/service/aws4_request`),
 * in its Authorization header or, presigned, its query (a build record's callerProof: the signer
 * is the principal, whoever sends it).
 */
function signingScope(headers: IncomingHttpHeaders, url: string): { service: string; accessKeyId: string } {
  const authorization = String(headers['authorization'] ?? '');
  const match = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization);
  if (match) return { accessKeyId: match[1]!, service: match[2]! };
  const presigned = new URL(url, 'http://account').searchParams.get('X-Amz-Credential')?.split('/');
  return presigned?.length === 5 ? { accessKeyId: presigned[0]!, service: presigned[3]! } : { accessKeyId: 'anonymous', service: 'unknown' };
}

function actionOf(service: string, method: string, url: string, headers: IncomingHttpHeaders, body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  if (service === 's3') return s3Action(method, url);
  const fromBody = /(?:^|&)Action=([A-Za-z0-9]+)/.exec(body);
  if (fromBody) return fromBody[1]!;
  const fromQuery = /[?&]Action=([A-Za-z0-9]+)/.exec(url);
  return fromQuery ? fromQuery[1]! : `${method} ${url.split('?')[0]}`;
}

function s3Action(method: string, url: string): string {
  const parsed = new URL(url, 'http://s3');
  const [, , ...keyParts] = parsed.pathname.split('/');
  const hasKey = keyParts.join('/') !== '';
  const query = parsed.searchParams;
  if (query.has('notification')) return method === 'PUT' ? 'PutBucketNotificationConfiguration' : 'GetBucketNotificationConfiguration';
  if (!hasKey) {
    if (method === 'GET') return query.get('list-type') === '2' ? 'ListObjectsV2' : query.has('location') ? 'GetBucketLocation' : 'ListObjects';
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    return `${method}Bucket`;
  }
  return { GET: 'GetObject', PUT: 'PutObject', DELETE: 'DeleteObject', HEAD: 'HeadObject', POST: 'PostObject' }[method] ?? method;
}
