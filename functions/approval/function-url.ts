import type { ApprovalRequest, ApprovalResponse } from '../../lib/pipeline/approvals/http.js';

/** The parts of a Lambda function URL event (payload format 2.0) the approval endpoint reads. */
export interface FunctionUrlEvent {
  rawPath?: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string; path?: string } };
}

export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A decision form is a few hundred bytes; anything far larger is not one. */
export const MAX_FORM_BYTES = 16 * 1024;

/** Function URL event → the transport-independent request (`lib/pipeline/approvals/http.ts`). */
export function toApprovalRequest(event: FunctionUrlEvent): ApprovalRequest | { tooLarge: true } {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  const method = event.requestContext?.http?.method ?? 'GET';
  const request: ApprovalRequest = {
    method,
    path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
    // From the raw query string: a repeated parameter keeps its first value (the parsed map joins them with commas).
    query: firstValues(new URLSearchParams(event.rawQueryString ?? '')),
    headers,
    // The URL the browser used: the Host is its (a browser cannot send another); function URLs are
    // HTTPS only and say so in X-Forwarded-Proto, which Lambda sets itself.
    ...(headers.host ? { origin: `${headers['x-forwarded-proto'] === 'http' ? 'http' : 'https'}://${headers.host}` } : {}),
  };
  if (method.toUpperCase() === 'POST') {
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (Buffer.byteLength(body) > MAX_FORM_BYTES) return { tooLarge: true };
    const type = headers['content-type'] ?? '';
    request.form = type.startsWith('application/x-www-form-urlencoded') || type === '' ? firstValues(new URLSearchParams(body)) : {};
  }
  return request;
}

export function toFunctionUrlResult(response: ApprovalResponse): FunctionUrlResult {
  return { statusCode: response.status, headers: response.headers, body: response.body };
}

function firstValues(parameters: URLSearchParams): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of parameters) if (!Object.hasOwn(values, name)) values[name] = value;
  return values;
}
