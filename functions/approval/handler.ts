import { handleApprovalRequest, SECURITY_HEADERS, type ApprovalHttpDeps } from '../../lib/pipeline/approvals/http.js';
import type { SigningKeyring } from '../../lib/pipeline/approvals/links.js';
import { toApprovalRequest, toFunctionUrlResult, type FunctionUrlEvent, type FunctionUrlResult } from './function-url.js';

export interface ApprovalFunctionDeps extends Omit<ApprovalHttpDeps, 'keyring'> {
  /** The HMAC keyring (cached by the caller). */
  keyring: () => Promise<SigningKeyring>;
  /** One log line per request: the outcome, never a token, a signature or an approver's link. */
  log?: (line: string) => void;
}

/** The approval links' endpoint behind a Lambda function URL: GET shows the page, POST decides. */
export const makeHandler =
  (deps: ApprovalFunctionDeps) =>
  async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    const log = deps.log ?? ((line: string) => console.log(line));
    const request = toApprovalRequest(event);
    if ('tooLarge' in request) {
      log(JSON.stringify({ outcome: 'refused:too-large' }));
      return { statusCode: 413, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Request too large.' };
    }
    let keyring: SigningKeyring;
    try {
      keyring = await deps.keyring();
    } catch (error) {
      log(JSON.stringify({ outcome: 'error:keyring', error: error instanceof Error ? error.name : 'unknown' }));
      return { statusCode: 503, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'The approval service is unavailable. Try again in a minute.' };
    }
    const { keyring: _keyring, log: _log, ...rest } = deps;
    const response = await handleApprovalRequest({ ...rest, keyring }, request);
    log(JSON.stringify({ method: request.method, status: response.status, outcome: response.outcome }));
    return toFunctionUrlResult(response);
  };
