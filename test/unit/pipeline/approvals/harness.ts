import type { JsonObject } from '../../../../lib/kustomize/json.js';
import { emitYaml } from '../../../../lib/kustomize/yaml/emit.js';
import { approvalIdFor, gateKey, listDecisions, type GateRecord } from '../../../../lib/pipeline/approvals/gate.js';
import { handleApprovalRequest, parseUrlEncoded, type ApprovalHttpDeps, type ApprovalResponse } from '../../../../lib/pipeline/approvals/http.js';
import { signLink, type SigningKeyring } from '../../../../lib/pipeline/approvals/links.js';
import { sha256Hex } from '../../../../lib/pipeline/manifest.js';
import { manifestKey } from '../../../../lib/pipeline/run-manifests.js';
import { deployedKey } from '../../../../lib/pipeline/stack-job/keys.js';
import { runKey, serialize, type RunRecord, type TaskStatus } from '../../../../lib/pipeline/workflow/records.js';
import { PreconditionFailed, type ArtifactStore, type PutConditions } from '../../../../lib/ports/artifact-store.js';
import type { CallbackOutcome, TaskCallbacks } from '../../../../lib/ports/task-callbacks.js';

/**
 * The approvals harness: a run waiting at its production gate in an in-memory store, a recording
 * TaskCallbacks, a movable clock, and helpers that act like a browser on the approval endpoint:
 * `open(link)` (GET), `submit(page, { decision, reason })` (POST with the page's hidden fields).
 */

export const KEYRING: SigningKeyring = {
  current: 'k2',
  keys: { k1: 'first-key-0123456789abcdefghijklmnopqrstuvwxyz', k2: 'second-key-0123456789abcdefghijklmnopqrstuvwxyz' },
};

export const NOW = '2030-01-01T12:00:00.000Z';
export const BASE_URL = 'https://approve.example';
export const RUN_ID = 'run-1';
export const SECRET_VALUE = 'hunter2-super-secret';

export function memoryStore(): ArtifactStore & { objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return {
    objects,
    async get(key) {
      const body = objects.get(key);
      return body === undefined ? undefined : { body, etag: sha256Hex(body) };
    },
    async put(key, body, conditions: PutConditions = {}) {
      const current = objects.get(key);
      if (conditions.ifNoneMatch === '*' && current !== undefined) throw new PreconditionFailed(key, conditions);
      if (conditions.ifMatch !== undefined && (current === undefined || sha256Hex(current) !== conditions.ifMatch)) throw new PreconditionFailed(key, conditions);
      objects.set(key, body);
      return { etag: sha256Hex(body) };
    },
    async list(prefix) {
      return [...objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    },
    async delete(key) {
      objects.delete(key);
    },
  };
}

export interface CallbackCall {
  method: 'succeed' | 'fail' | 'heartbeat';
  token: string;
  output?: JsonObject;
  error?: string;
  cause?: string;
}

export function recordingCallbacks(): TaskCallbacks & { calls: CallbackCall[] } {
  const calls: CallbackCall[] = [];
  const delivered = async (): Promise<CallbackOutcome> => 'delivered';
  return {
    calls,
    succeed: (token, output) => (calls.push({ method: 'succeed', token, output }), delivered()),
    fail: (token, error, cause) => (calls.push({ method: 'fail', token, error, cause }), delivered()),
    heartbeat: (token) => (calls.push({ method: 'heartbeat', token }), delivered()),
  };
}

export function movableClock(at: string = NOW): { now(): Date; set(at: string): void; advance(seconds: number): void } {
  let time = Date.parse(at);
  return {
    now: () => new Date(time),
    set: (next) => {
      time = Date.parse(next);
    },
    advance: (seconds) => {
      time += seconds * 1000;
    },
  };
}

export function helloManifest(image: string, replicas: number): JsonObject {
  return {
    apiVersion: 'kubernetes.openmcf.org/v1',
    kind: 'KubernetesDeployment',
    metadata: { name: 'hello', env: 'app-production' },
    spec: {
      replicas,
      container: {
        app: {
          image,
          env: {
            secrets: { DATABASE_PASSWORD: '$secrets-group/database/password' },
            variables: { PORT: '8080', REGION: '$variables-group/shared/region' },
          },
        },
      },
    },
  };
}

export interface GateFixture {
  deps: ApprovalHttpDeps;
  store: ReturnType<typeof memoryStore>;
  callbacks: ReturnType<typeof recordingCallbacks>;
  clock: ReturnType<typeof movableClock>;
  gate: GateRecord;
  /** The signed personal link of `approver` (any claim can be overridden to forge links). */
  linkFor(approver: string, overrides?: { exp?: number; keyring?: SigningKeyring; approvalId?: string; env?: string }): string;
  /** Decisions recorded on the gate. */
  decisions(): Promise<unknown[]>;
  gateRecord(): Promise<GateRecord>;
  run(): Promise<RunRecord>;
}

export async function gateFixture(
  options: { approvers?: string[]; minApprovals?: number; triggeredBy?: string; gateStatus?: GateRecord['status']; deployed?: string | null; newManifest?: string } = {},
): Promise<GateFixture> {
  const store = memoryStore();
  const callbacks = recordingCallbacks();
  const clock = movableClock();
  const newYaml = options.newManifest ?? emitYaml(helloManifest('registry.example/hello:new1234', 3));
  const digest = sha256Hex(newYaml);
  const approvalId = approvalIdFor(RUN_ID, 2);
  const task = (index: number, env: string, status: TaskStatus, gated = false) => ({
    index,
    overlay: env.replace('app-', ''),
    env,
    kind: 'KubernetesDeployment',
    name: 'hello',
    digest,
    gated,
    status,
    references: { secrets: ['database/password'], variables: ['shared/region'] },
  });
  const run: RunRecord = {
    schemaVersion: 1,
    runId: RUN_ID,
    build: { org: 'acme', service: 'hello', commitSha: 'abcdef0123456789abcdef0123456789abcdef01', branch: 'main', image: 'registry.example/hello:new1234', triggeredBy: options.triggeredBy ?? 'dev@acme.io' },
    status: 'RUNNING',
    createdAt: NOW,
    updatedAt: NOW,
    tasks: [
      task(0, 'app-dev', 'SUCCEEDED'),
      task(1, 'app-staging', 'SUCCEEDED'),
      { ...task(2, 'app-production', 'WAITING_APPROVAL', true), approvalId, approvers: options.approvers ?? ['ops@acme.io', 'lead@acme.io'], minApprovals: options.minApprovals ?? 1 },
      task(3, 'app-dr', 'PENDING'),
    ],
    skipped: [],
    warnings: [],
  };
  const gate: GateRecord = {
    approvalId,
    runId: RUN_ID,
    taskIndex: 2,
    overlay: 'production',
    env: 'app-production',
    org: 'acme',
    service: 'hello',
    commitSha: run.build.commitSha,
    image: run.build.image,
    triggeredBy: run.build.triggeredBy,
    digest,
    approvers: options.approvers ?? ['ops@acme.io', 'lead@acme.io'],
    minApprovals: options.minApprovals ?? 1,
    taskToken: 'TASK-TOKEN-SECRET-123',
    createdAt: NOW,
    expiresAt: '2030-01-04T12:00:00.000Z',
    status: options.gateStatus ?? 'WAITING',
  };
  await store.put(runKey(RUN_ID), serialize(run));
  await store.put(gateKey(approvalId), serialize(gate));
  await store.put(manifestKey(RUN_ID, digest), newYaml);
  if (options.deployed !== null) {
    await store.put(deployedKey('acme', 'app-production', 'hello'), options.deployed ?? emitYaml(helloManifest('registry.example/hello:old0000', 3)));
  }
  const deps: ApprovalHttpDeps = { store, callbacks, clock, keyring: KEYRING };
  return {
    deps,
    store,
    callbacks,
    clock,
    gate,
    linkFor: (approver, overrides = {}) =>
      signLink(
        BASE_URL,
        {
          approvalId: overrides.approvalId ?? approvalId,
          approver,
          exp: overrides.exp ?? Math.floor(Date.parse(gate.expiresAt) / 1000),
        },
        overrides.keyring ?? KEYRING,
      ),
    decisions: () => listDecisions(store, approvalId),
    gateRecord: async () => JSON.parse((await store.get(gateKey(approvalId)))!.body) as GateRecord,
    run: async () => JSON.parse((await store.get(runKey(RUN_ID)))!.body) as RunRecord,
  };
}

// --- A minimal browser ---------------------------------------------------------------------------

export interface OpenedPage extends ApprovalResponse {
  url: URL;
  /** The form's action and hidden fields, when the page has a form. */
  form?: { action: URL; fields: Record<string, string> };
}

/** GET the link through the handler, as a browser (or a mail scanner) would. */
export async function open(deps: ApprovalHttpDeps, link: string, method = 'GET'): Promise<OpenedPage> {
  const url = new URL(link);
  const response = await handleApprovalRequest(deps, { method, path: url.pathname, query: parseUrlEncoded(url.search.slice(1)), headers: {} });
  const action = /<form method="post" action="([^"]*)"/.exec(response.body)?.[1];
  if (!action) return { ...response, url };
  const fields: Record<string, string> = {};
  for (const match of response.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = decodeEntities(match[2]!);
  return { ...response, url, form: { action: new URL(decodeEntities(action), url), fields } };
}

/** POST the page's form with a button pressed (and any field overridden, or removed with `undefined`). */
export async function submit(deps: ApprovalHttpDeps, page: OpenedPage, fields: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<ApprovalResponse> {
  if (!page.form) throw new Error(`the page has no form (status ${page.status}): ${page.body.slice(0, 400)}`);
  return post(deps, page.form.action.toString(), { ...page.form.fields, ...fields }, headers);
}

export async function post(deps: ApprovalHttpDeps, action: string, fields: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<ApprovalResponse> {
  const form = Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const body = new URLSearchParams(form).toString();
  // The endpoint is served at the link's origin (as the function URL and the local server say).
  return handleApprovalRequest(deps, { method: 'POST', path: new URL(action).pathname, form: parseUrlEncoded(body), headers, origin: new URL(action).origin });
}

/** The link's query parameters as form fields (what a POST without the page would carry). */
export function linkFields(link: string): Record<string, string> {
  const params = new URL(link).searchParams;
  return { approver: params.get('approver')!, exp: params.get('exp')!, sig: params.get('sig')! };
}

export function decisionUrl(link: string): string {
  const url = new URL(link);
  return `${url.origin}${url.pathname}/decision`;
}

function decodeEntities(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/** The visible text of a page (tags removed, entities decoded), for assertions a person would make. */
export function visibleText(html: string): string {
  return decodeEntities(html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}
