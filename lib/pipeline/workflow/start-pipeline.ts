import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ConfigError } from '../../errors.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { ExecutionStarter } from '../../ports/execution-starter.js';
import type { TaskCallbacks } from '../../ports/task-callbacks.js';
import { requestCancel } from './cancellation.js';
import { createRun, listRuns, type BuildEvent, type RunRecord } from './records.js';
import { loadBuildSource, loadService } from './source-tree.js';
import type { ExecutionInput } from './steps.js';

const buildEventSchema = z.strictObject({
  org: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a DNS label' }),
  service: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a DNS label' }).max(63),
  commitSha: z.string().regex(/^[0-9a-f]{7,64}$/, { error: 'expected a hex commit sha (7 to 64 characters)' }),
  branch: z.string().min(1).max(255),
  tag: z.string().min(1).optional(),
  image: z.string().min(1).max(1024),
  triggeredBy: z.string().min(1).max(320),
});

export interface StartDeps {
  store: ArtifactStore;
  clock: Clock;
  starter: ExecutionStarter;
  callbacks: TaskCallbacks;
}

export interface StartResult {
  runId: string;
  /** false: a run for this exact build event exists already (a repeated event starts nothing). */
  started: boolean;
  /** Older runs of the same service and branch this one supersedes. */
  superseded: string[];
}

/**
 * The trigger: validates a build-complete event (EventBridge `Build Completed`, or S3 `Object
 * Created` for builds/<service>/<commit>/build.json), derives the execution name from the build
 * so that a repeated event starts nothing, applies the service's concurrency policy, and starts
 * the state machine.
 */
export async function startPipeline(deps: StartDeps, event: unknown): Promise<StartResult> {
  const build = await buildFromEvent(deps.store, event);
  const runId = executionNameFor(build);
  const now = deps.clock.now().toISOString();
  const run: RunRecord = { schemaVersion: 1, runId, build, status: 'RUNNING', createdAt: now, updatedAt: now, tasks: [], skipped: [], warnings: [] };
  // Read the service's policy before anything is written: a broken upload starts nothing.
  const service = loadService(await loadBuildSource(deps.store, build.service, build.commitSha));
  if (!(await createRun(deps.store, run))) return { runId, started: false, superseded: [] };

  const superseded: string[] = [];
  if (service.spec.concurrency === 'supersede') {
    for (const older of await listRuns(deps.store)) {
      if (older.runId === runId || older.status !== 'RUNNING') continue;
      if (older.build.service !== build.service || older.build.branch !== build.branch || older.createdAt > run.createdAt) continue;
      await requestCancel(deps, older.runId, { reason: 'superseded', by: build.triggeredBy, supersededBy: runId });
      superseded.push(older.runId);
    }
  }
  const input: ExecutionInput = { runId, build };
  await deps.starter.start(runId, input as unknown as Record<string, never>);
  return { runId, started: true, superseded };
}

/** `<service>-<commit12>-<digest12>`: the same build event always names the same execution (≤ 80 characters). */
export function executionNameFor(build: BuildEvent): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(build).sort(([a], [b]) => a.localeCompare(b))));
  const digest = createHash('sha256').update(canonical).digest('hex').slice(0, 12);
  return `${build.service.slice(0, 50)}-${build.commitSha.slice(0, 12)}-${digest}`;
}

async function buildFromEvent(store: ArtifactStore, event: unknown): Promise<BuildEvent> {
  const envelope = z.looseObject({ source: z.string().optional(), 'detail-type': z.string().optional(), detail: z.unknown() }).safeParse(event);
  if (!envelope.success) throw new ConfigError('start-pipeline: expected an EventBridge event with a detail object');
  const { source, detail } = envelope.data;
  const detailType = envelope.data['detail-type'];
  if (source === 'aws.s3' || detailType === 'Object Created') {
    const key = z.looseObject({ object: z.looseObject({ key: z.string() }) }).safeParse(detail);
    const objectKey = key.success ? decodeURIComponent(key.data.object.key.replace(/\+/g, ' ')) : '';
    if (!/^builds\/[^/]+\/[^/]+\/build\.json$/.test(objectKey)) {
      throw new ConfigError(`start-pipeline: S3 event for ${objectKey || '(no key)'} is not a builds/<service>/<commit>/build.json`);
    }
    const object = await store.get(objectKey);
    if (!object) throw new ConfigError(`start-pipeline: ${objectKey} is gone from the bucket`);
    return validateBuild(safeJson(object.body, objectKey), objectKey);
  }
  if (detailType !== 'Build Completed') {
    throw new ConfigError(`start-pipeline: unexpected event detail-type ${JSON.stringify(detailType)}`, { hint: 'send source "stageline.build", detail-type "Build Completed"' });
  }
  return validateBuild(detail, 'event detail');
}

function validateBuild(value: unknown, where: string): BuildEvent {
  const parsed = buildEventSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join('.') || '(root)';
  throw new ConfigError(`${where}: ${path}: ${issue.message}`, { hint: 'detail: { org, service, commitSha, branch, tag?, image, triggeredBy }' });
}

function safeJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`${where}: not valid JSON`);
  }
}

