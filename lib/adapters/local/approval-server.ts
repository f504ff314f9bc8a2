import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleApprovalRequest, parseUrlEncoded, SECURITY_HEADERS, type ApprovalHttpDeps, type ApprovalResponse } from '../../pipeline/approvals/http.js';

/**
 * The approval page during `deploy --local` (without `--approve`): a tiny HTTP server on
 * 127.0.0.1 around {@link handleApprovalRequest}, the same handler the Lambda function URL uses.
 *
 * Bound to the loopback interface only, on a random port. Requests whose Host is not that
 * address are refused (a DNS-rebinding page in the operator's browser cannot reach it), and
 * bodies are capped.
 */
export interface ApprovalServerOptions {
  /** Default 0: a random free port. */
  port?: number;
  /** Called once per request with what happened (never a token or signature). */
  onRequest?: (entry: { method: string; path: string; status: number; outcome: string }) => void;
}

export interface RunningApprovalServer {
  /** `http://127.0.0.1:<port>`: the base of the links to sign. */
  baseUrl: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 16 * 1024;

export class ApprovalServer {
  constructor(
    private readonly deps: ApprovalHttpDeps,
    private readonly options: ApprovalServerOptions = {},
  ) {}

  async start(): Promise<RunningApprovalServer> {
    let port = 0;
    const server = createServer((request, response) => {
      this.serve(request, response, port).catch(() => {
        if (!response.headersSent) send(response, { status: 500, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'internal error\n', outcome: 'error' });
        else response.destroy();
      });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = (server.address() as AddressInfo).port;
    return { baseUrl: `http://${HOST}:${port}`, close: () => closeServer(server) };
  }

  private async serve(request: IncomingMessage, response: ServerResponse, port: number): Promise<void> {
    const method = request.method ?? 'GET';
    if (request.headers.host !== `${HOST}:${port}` && request.headers.host !== `localhost:${port}`) {
      return this.finish(request, response, plain(421, 'misdirected request\n', 'refused:host'));
    }
    const url = new URL(request.url ?? '/', `http://${HOST}:${port}`);
    let form: Record<string, string> | undefined;
    if (method === 'POST') {
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') return this.finish(request, response, plain(415, 'expected a form\n', 'refused:content-type'));
      const body = await readBody(request);
      if (body === undefined) return this.finish(request, response, plain(413, 'request too large\n', 'refused:too-large'));
      form = parseUrlEncoded(body);
    }
    const result = await handleApprovalRequest(this.deps, {
      method,
      path: url.pathname,
      query: parseUrlEncoded(url.search.slice(1)),
      ...(form ? { form } : {}),
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value])),
      // The Host was checked above: 127.0.0.1:<port> or localhost:<port>.
      origin: `http://${request.headers.host}`,
    });
    this.finish(request, response, result);
  }

  private finish(request: IncomingMessage, response: ServerResponse, result: ApprovalResponse): void {
    send(response, result);
    this.options.onRequest?.({ method: request.method ?? 'GET', path: new URL(request.url ?? '/', 'http://x').pathname, status: result.status, outcome: result.outcome });
  }
}

/** Starts an {@link ApprovalServer}. */
export function startApprovalServer(deps: ApprovalHttpDeps, options: ApprovalServerOptions = {}): Promise<RunningApprovalServer> {
  return new ApprovalServer(deps, options).start();
}

function plain(status: number, body: string, outcome: string): ApprovalResponse {
  return { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }, body, outcome };
}

function send(response: ServerResponse, result: ApprovalResponse): void {
  response.writeHead(result.status, { ...result.headers, 'Content-Length': Buffer.byteLength(result.body, 'utf8') });
  response.end(result.body);
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
