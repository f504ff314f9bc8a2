import { isStagelineError } from '../../errors.js';
import { findReferences, summarizeReferences, type ManifestReferences } from '../references.js';
import { loadRunManifest } from '../run-manifests.js';
import { deployedKey } from '../stack-job/keys.js';
import { parseYamlDocument } from '../../kustomize/yaml/parse.js';
import { readCancelRequest, readRun, type RunRecord } from '../workflow/records.js';
import { DecisionRefused, listDecisions, readGate, recordDecision, type DecisionResult, type GateDeps, type GateRecord } from './gate.js';
import { issueFormToken, verifyFormToken, verifyLink, type FormTokenRefusal, type LinkRefusal, type SigningKeyring } from './links.js';
import { diffManifests } from './manifest-diff.js';
import { PAGE_STYLE_HASH, renderConfirmationPage, renderResultPage, type ResultPageModel } from './page.js';

/**
 * The approval endpoint, independent of its transport: the Lambda function URL and the local
 * server (127.0.0.1) both turn their request into an {@link ApprovalRequest} and send back the
 * {@link ApprovalResponse}.
 *
 * - `GET /a/<id>?approver&exp&sig` verifies the link and shows the confirmation page with a fresh
 *   form token. A GET never decides: mail scanners and link previewers fetch every link.
 * - `POST /a/<id>/decision` (form: approver, exp, sig, formToken, decision, reason) verifies the
 *   link and the form token, then records the decision (`via: 'link'`), which completes the gate
 *   when it is decided.
 *
 * Whatever is wrong (tampered, expired, replayed, foreign, self-approval, closed gate) gets a page
 * saying so with a 4xx status, and nothing is written.
 */
export interface ApprovalHttpDeps extends GateDeps {
  keyring: SigningKeyring;
  /** Lifetime of the page's form token (default 15 minutes). */
  formTokenTtlSeconds?: number;
  /** Refuse a POST sooner than this after the page was served (default 0: off). */
  minFormAgeSeconds?: number;
}

export interface ApprovalRequest {
  method: string;
  /** The URL path, e.g. `/a/3f2c…` (a prefix such as `/prod` before `/a/` is allowed). */
  path: string;
  query?: Record<string, string | undefined>;
  /** The decoded `application/x-www-form-urlencoded` body of a POST. */
  form?: Record<string, string | undefined>;
  /** Lower-case header names. */
  headers?: Record<string, string | undefined>;
  /**
   * The origin this endpoint is served at (`https://<function URL host>`, `http://127.0.0.1:<port>`),
   * as the transport knows it: a POST whose Origin or Referer names another is refused.
   */
  origin?: string;
}

export interface ApprovalResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** For the caller's log line: what happened, never a token, a signature or a secret. */
  outcome: string;
}

const ROUTE = /^(?:\/[^?#]*)?\/a\/([A-Za-z0-9_-]{1,64})(\/decision)?\/?$/;
const MAX_REASON_LENGTH = 1000;

/** Headers on every response: never cached, never framed, never leaks its URL, no scripts at all. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store, max-age=0',
  Pragma: 'no-cache',
  // Never sent to another origin; sent to this one, so a browser's POST from the page carries
  // Origin: <this origin> (under no-referrer a same-origin form POST says Origin: null).
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex, nofollow',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': `default-src 'none'; style-src ${PAGE_STYLE_HASH}; img-src 'none'; script-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
};

export async function handleApprovalRequest(deps: ApprovalHttpDeps, request: ApprovalRequest): Promise<ApprovalResponse> {
  try {
    return await route(deps, request);
  } catch (error) {
    // Unexpected (store unreachable, a bug): say so without details; the caller logs `outcome`.
    const code = isStagelineError(error) ? error.code : 'INTERNAL';
    return page(500, `error:${code}`, {
      title: 'Something went wrong',
      message: 'The approval service could not handle this request. Try again in a minute; if it keeps failing, tell the team that runs Stageline.',
      tone: 'error',
    });
  }
}

async function route(deps: ApprovalHttpDeps, request: ApprovalRequest): Promise<ApprovalResponse> {
  const method = request.method.toUpperCase();
  const match = ROUTE.exec(request.path);
  if (!match) return page(404, 'not-found', { title: 'Not found', message: 'There is nothing here.', tone: 'error' });
  const [, approvalId, decisionPath] = match as unknown as [string, string, string | undefined];
  if (!decisionPath && (method === 'GET' || method === 'HEAD')) {
    const response = await showPage(deps, approvalId, request.query ?? {});
    return method === 'HEAD' ? { ...response, body: '' } : response;
  }
  if (decisionPath && method === 'POST') {
    const foreign = foreignSender(request);
    if (foreign) return page(403, `refused:${foreign}`, { title: 'Request refused', message: 'A decision can only be sent from the approval page itself. Nothing was recorded.', tone: 'error' });
    return decide(deps, approvalId, request.form ?? {});
  }
  return {
    ...page(405, 'method-not-allowed', { title: 'Not allowed', message: 'Open the link from your email to see the approval page.', tone: 'error' }),
    headers: { ...SECURITY_HEADERS, Allow: decisionPath ? 'POST' : 'GET, HEAD' },
  };
}

/**
 * Why a POST did not come from the approval page, judged from what browsers send (a forged
 * cross-site form carries a valid form token if the attacker fetched the page first): a
 * Sec-Fetch-Site other than same-origin, or an Origin — or, without one, a Referer — of another
 * origin (`null` included). A request with none of them is no browser's, so no cross-site request
 * forgery; it still needs a valid link and form token.
 */
function foreignSender(request: ApprovalRequest): string | undefined {
  const headers = request.headers ?? {};
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'cross-site';
  const own = request.origin?.toLowerCase();
  const origin = headers['origin'];
  if (origin !== undefined) return origin.toLowerCase() === own ? undefined : 'cross-origin';
  const referer = headers['referer'];
  if (referer !== undefined) {
    let refererOrigin: string | undefined;
    try {
      refererOrigin = new URL(referer).origin.toLowerCase();
    } catch {
      refererOrigin = undefined;
    }
    return refererOrigin !== undefined && refererOrigin === own ? undefined : 'cross-origin';
  }
  return undefined;
}

// --- GET -------------------------------------------------------------------------------------------

async function showPage(deps: ApprovalHttpDeps, approvalId: string, query: Record<string, string | undefined>): Promise<ApprovalResponse> {
  const link = await authenticate(deps, approvalId, query);
  if ('response' in link) return link.response;
  const { gate, approver } = link;
  const closed = await closedPage(deps, gate);
  if (closed) return closed;
  const refusal = await approverRefusal(deps, gate, approver, undefined);
  if (refusal) return refusal;
  return confirmationPage(deps, gate, approver, { exp: query.exp!, sig: query.sig! }, 200, 'page:shown');
}

// --- POST ------------------------------------------------------------------------------------------

async function decide(deps: ApprovalHttpDeps, approvalId: string, form: Record<string, string | undefined>): Promise<ApprovalResponse> {
  const link = await authenticate(deps, approvalId, form);
  if ('response' in link) return link.response;
  const { gate, approver } = link;
  const now = deps.clock.now();
  const linkParameters = { exp: form.exp!, sig: form.sig! };
  // A closed gate says so first: that is the useful answer, whatever the form looks like.
  const closed = await closedPage(deps, gate);
  if (closed) return closed;
  const token = verifyFormToken(form.formToken, { approvalId, approver }, deps.keyring, now, { minAgeSeconds: deps.minFormAgeSeconds ?? 0 });
  if (!token.ok) {
    return page(403, `refused:form-${token.reason}`, {
      title: 'This form is no longer valid',
      message: `${FORM_TOKEN_MESSAGES[token.reason]} Nothing was recorded. Open the approval page again and decide there.`,
      tone: 'error',
      retryUrl: relativeLink(approvalId, approver, linkParameters),
    });
  }
  const decision = form.decision;
  if (decision !== 'approve' && decision !== 'reject') {
    return page(400, 'refused:no-decision', { title: 'No decision', message: 'Choose Approve or Reject on the approval page. Nothing was recorded.', tone: 'error', retryUrl: relativeLink(approvalId, approver, linkParameters) });
  }
  // One line: the reason becomes the Cause of SendTaskFailure in the execution history.
  const reason = (form.reason ?? '').replace(/\s+/g, ' ').trim();
  const refusal = await approverRefusal(deps, gate, approver, decision);
  if (refusal) return refusal;
  if (reason.length > MAX_REASON_LENGTH) {
    return confirmationPage(deps, gate, approver, linkParameters, 400, 'refused:reason-too-long', { error: `The reason is longer than ${MAX_REASON_LENGTH} characters. Nothing was recorded.`, reason: reason.slice(0, MAX_REASON_LENGTH) });
  }
  if (decision === 'reject' && !reason) {
    return confirmationPage(deps, gate, approver, linkParameters, 400, 'refused:reason-required', { error: 'A rejection needs a reason: say why, then press Reject again. Nothing was recorded.' });
  }
  let result: DecisionResult;
  try {
    result = await recordDecision(deps, { approvalId, approver, decision, ...(reason ? { reason } : {}), via: 'link' });
  } catch (error) {
    if (!(error instanceof DecisionRefused)) throw error;
    // A race the checks above could not see (a concurrent click, the gate closing meanwhile).
    return page(409, 'refused:decision', { title: 'Decision refused', message: `${error.message}. Nothing was recorded.`, tone: 'error' });
  }
  return page(200, `decided:${decision}:${result.outcome}`, decidedPage(gate, approver, decision, result));
}

const FORM_TOKEN_MESSAGES: Record<FormTokenRefusal, string> = {
  missing: 'The decision did not come from the approval page.',
  malformed: 'The form was altered.',
  tampered: 'The form was altered.',
  'unknown-key': 'The form was signed with a key that is no longer in use.',
  expired: 'The page was open for too long.',
  'too-early': 'The form was sent faster than a person could read the page.',
  'wrong-approval': 'The form belongs to another approval.',
  'wrong-approver': 'The form belongs to another approver.',
};

function decidedPage(gate: GateRecord, approver: string, decision: 'approve' | 'reject', result: DecisionResult): ResultPageModel {
  const details: [string, string][] = [
    ['Service', gate.service],
    ['Environment', gate.env],
    ['Decided by', approver],
  ];
  switch (result.outcome) {
    case 'approved':
      return { title: 'Approved', message: `${gate.service} will now be deployed to ${gate.env}.`, tone: 'success', details };
    case 'rejected':
      return {
        title: decision === 'reject' ? 'Rejected' : 'Rejected by another approver',
        message: `${gate.service} will not be deployed to ${gate.env}; the run stops here.`,
        tone: decision === 'reject' ? 'success' : 'info',
        details,
      };
    case 'recorded':
      return {
        title: 'Approval recorded',
        message: `Your approval is recorded: ${result.approvals} of ${result.needed} needed. The deployment waits for the others.`,
        tone: 'success',
        details,
      };
  }
}

// --- Shared checks ---------------------------------------------------------------------------------

type Authenticated = { gate: GateRecord; approver: string } | { response: ApprovalResponse };

const LINK_MESSAGES: Record<LinkRefusal, { status: number; title: string; message: string }> = {
  malformed: { status: 403, title: 'This link is not valid', message: 'The link is incomplete or was altered. Open it again from your email, without changing it.' },
  tampered: { status: 403, title: 'This link is not valid', message: 'The link is incomplete or was altered. Open it again from your email, without changing it.' },
  outdated: {
    status: 410,
    title: 'This link is from an earlier version of Stageline',
    message: 'Links sent before the approval service was upgraded no longer work. Ask the team that runs Stageline for a new run of this build; its email will carry a new link.',
  },
  'unknown-key': { status: 403, title: 'This link is no longer valid', message: 'It was signed with a key that has been retired. Ask for a new link, or use `stageline approve`.' },
  expired: { status: 410, title: 'This link has expired', message: 'The approval window is over; nothing can be decided with this link.' },
};

/**
 * The gate of the path, and the approver its link was issued to; or the page saying why not.
 * The link is verified first, from the request alone: a malformed, forged, outdated or expired
 * link is refused without any read, so a flood of them costs no S3 request.
 */
async function authenticate(deps: ApprovalHttpDeps, approvalId: string, parameters: Record<string, string | undefined>): Promise<Authenticated> {
  const verification = verifyLink({ approvalId, approver: parameters.approver, exp: parameters.exp, sig: parameters.sig }, deps.keyring, deps.clock.now());
  if (!verification.ok) {
    const { status, title, message } = LINK_MESSAGES[verification.reason];
    return { response: page(status, `refused:link-${verification.reason}`, { title, message, tone: 'error' }) };
  }
  const found = await readGate(deps.store, approvalId);
  // An authentic link whose gate is gone (its records expired): nothing to decide.
  if (!found) return { response: page(410, 'refused:link-unknown-approval', { title: 'This approval is over', message: 'Its records are gone; there is nothing to decide with this link.', tone: 'info' }) };
  return { gate: found.gate, approver: verification.approver };
}

/** A page if the gate can no longer be decided: decided, superseded, cancelled, expired, run stopped. */
async function closedPage(deps: ApprovalHttpDeps, gate: GateRecord): Promise<ApprovalResponse | undefined> {
  const details: [string, string][] = [
    ['Service', gate.service],
    ['Environment', gate.env],
  ];
  const closed = (outcome: string, title: string, message: string) => page(410, `closed:${outcome}`, { title, message, tone: 'info', details });
  switch (gate.status) {
    case 'APPROVED':
      return closed('approved', 'Already approved', `This approval is closed: ${gate.outcome ?? 'approved'}. Nothing more to do.`);
    case 'REJECTED':
      return closed('rejected', 'Already rejected', `This approval is closed: ${gate.outcome ?? 'rejected'}.`);
    case 'SUPERSEDED':
      return closed('superseded', 'Superseded by a newer run', 'A newer build of this service replaced this run; approve that one instead (you will get a new link).');
    case 'CANCELLED':
      return closed('cancelled', 'Run cancelled', 'This run was cancelled; there is nothing to approve.');
    case 'WAITING':
      break;
  }
  if (deps.clock.now().getTime() > Date.parse(gate.expiresAt)) {
    return closed('expired', 'This approval has expired', `Nobody decided before ${gate.expiresAt}; the run stopped at this gate.`);
  }
  const cancel = await readCancelRequest(deps.store, gate.runId);
  if (cancel?.reason === 'superseded') {
    return closed('superseded', 'Superseded by a newer run', 'A newer build of this service replaced this run; approve that one instead (you will get a new link).');
  }
  if (cancel) return closed('cancelled', 'Run cancelled', `This run was cancelled by ${cancel.by}; there is nothing to approve.`);
  const run = await readRun(deps.store, gate.runId);
  if (run && run.status !== 'RUNNING') {
    return closed(run.status.toLowerCase(), 'This run is over', `The run is ${run.status.toLowerCase()}; there is nothing to approve.`);
  }
  return undefined;
}

/** A page if this approver may not take this decision (not listed, triggered the build, already decided). */
async function approverRefusal(deps: ApprovalHttpDeps, gate: GateRecord, approver: string, decision: 'approve' | 'reject' | undefined): Promise<ApprovalResponse | undefined> {
  if (!gate.approvers.some((candidate) => candidate.trim().toLowerCase() === approver)) {
    return page(403, 'refused:not-an-approver', {
      title: 'You are not an approver here',
      message: `${approver} is not an approver of ${gate.service} in ${gate.env}. Nothing was recorded.`,
      tone: 'error',
    });
  }
  if (decision === 'approve' && approver === gate.triggeredBy.trim().toLowerCase()) {
    return page(403, 'refused:self-approval', {
      title: 'You may not approve your own build',
      message: `${approver} triggered this build; another approver must approve it (separation of duties). Nothing was recorded.`,
      tone: 'error',
    });
  }
  const previous = (await listDecisions(deps.store, gate.approvalId)).find((item) => item.approver.toLowerCase() === approver);
  if (previous) {
    return page(409, 'refused:already-decided', {
      title: 'You already decided',
      message: `You ${previous.decision === 'approve' ? 'approved' : 'rejected'} this at ${previous.at}. A decision counts once and cannot be changed. Nothing was recorded.`,
      tone: 'info',
      details: [
        ['Service', gate.service],
        ['Environment', gate.env],
      ],
    });
  }
  return undefined;
}

async function confirmationPage(
  deps: ApprovalHttpDeps,
  gate: GateRecord,
  approver: string,
  link: { exp: string; sig: string },
  status: number,
  outcome: string,
  extra: { error?: string; reason?: string } = {},
): Promise<ApprovalResponse> {
  const [run, manifest, deployed, decisions] = await Promise.all([
    readRun(deps.store, gate.runId),
    loadRunManifest(deps.store, gate.runId, gate.digest).catch(() => undefined),
    deps.store.get(deployedKey(gate.org, gate.env, gate.service)),
    listDecisions(deps.store, gate.approvalId),
  ]);
  const formToken = issueFormToken(
    { approvalId: gate.approvalId, approver, now: deps.clock.now(), ttlSeconds: deps.formTokenTtlSeconds, notAfter: Number(link.exp) },
    deps.keyring,
  );
  const diff = manifest === undefined ? { kind: 'unreadable' as const, lines: [], added: 0, removed: 0, truncated: false } : diffManifests(deployed?.body, manifest);
  const body = renderConfirmationPage({
    approvalId: gate.approvalId,
    service: gate.service,
    org: gate.org,
    env: gate.env,
    runId: gate.runId,
    commitSha: gate.commitSha,
    image: gate.image,
    triggeredBy: gate.triggeredBy,
    expiresAt: gate.expiresAt,
    minApprovals: gate.minApprovals,
    approver,
    environments: environmentsSoFar(run, gate),
    approvedBy: decisions.filter((item) => item.decision === 'approve').map((item) => item.approver),
    diff,
    references: referencesOf(run, gate, manifest),
    // Relative: `/a/<id>` + `<id>/decision` = `/a/<id>/decision`, whatever prefix the page is served under.
    form: { action: `${gate.approvalId}/decision`, approver, exp: link.exp, sig: link.sig, formToken },
    selfApproval: approver === gate.triggeredBy.trim().toLowerCase(),
    ...extra,
  });
  return { status, headers: { ...SECURITY_HEADERS }, body, outcome };
}

function environmentsSoFar(run: RunRecord | undefined, gate: GateRecord): { env: string; status: string; current: boolean }[] {
  if (!run) return [];
  return run.tasks.filter((task) => task.index <= gate.taskIndex).map((task) => ({ env: task.env, status: task.status, current: task.index === gate.taskIndex }));
}

function referencesOf(run: RunRecord | undefined, gate: GateRecord, manifest: string | undefined): ManifestReferences {
  const recorded = run?.tasks[gate.taskIndex]?.references;
  if (recorded) return recorded;
  if (manifest === undefined) return { secrets: [], variables: [] };
  try {
    const value = parseYamlDocument(manifest, 'manifest.yaml');
    return value === undefined ? { secrets: [], variables: [] } : summarizeReferences(findReferences(value, 'manifest.yaml'));
  } catch {
    return { secrets: [], variables: [] };
  }
}

/** The link again, relative to `/a/<id>/decision`. */
function relativeLink(approvalId: string, approver: string, link: { exp: string; sig: string }): string {
  return `../${encodeURIComponent(approvalId)}?${new URLSearchParams({ approver, exp: link.exp, sig: link.sig }).toString()}`;
}

function page(status: number, outcome: string, model: ResultPageModel): ApprovalResponse {
  return { status, headers: { ...SECURITY_HEADERS }, body: renderResultPage(model), outcome };
}

// --- Transport helpers -----------------------------------------------------------------------------

/** Decodes a query string or an `application/x-www-form-urlencoded` body; a repeated name keeps its first value. */
export function parseUrlEncoded(text: string): Record<string, string> {
  // No prototype: a field named `__proto__` is just a field.
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(text)) if (!Object.hasOwn(out, name)) out[name] = value;
  return out;
}
