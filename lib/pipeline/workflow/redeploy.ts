import { StagelineError } from '../../errors.js';
import { isJsonObject } from '../../kustomize/json.js';
import { parseYamlDocument } from '../../kustomize/yaml/parse.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import { BRANCH_LABEL, validateManifest } from '../manifest.js';
import { findReferences, summarizeReferences } from '../references.js';
import type { ResolvedManifest } from '../resolve-manifests.js';
import { loadRunManifest } from '../run-manifests.js';
import { environmentHistory, type Deployment } from './deployments.js';
import { requireRun, type BuildEvent, type RunOrigin, type RunRecord } from './records.js';
import type { ServiceConfig } from '../config/service.js';

/**
 * Runs that are not a new build: `retry` repeats a run from the environment that
 * stopped it, `rollback` restores an environment's previous deployment, `redeploy` runs a build
 * again on purpose. Each is a new run through the same state machine, gates and leases; its build
 * event carries an `origin` (which also gives it its own run id, since the id hashes the event).
 * Retry and rollback reuse the stored manifests byte for byte (digest-pinned); references are
 * resolved afresh by the stack job, as always. Whoever asks for one is its `triggeredBy`: they may
 * not approve its gates.
 */

/** A retry, rollback or redeploy that cannot be made; the message says why and the hint what to do. */
export class RedeployError extends StagelineError {
  constructor(message: string, hint?: string) {
    super('REDEPLOY_REFUSED', message, { hint });
  }
}

const ACTIVE = new Set<RunRecord['status']>(['RUNNING', 'QUEUED']);

/** The build event of a retry of `runId`: the same build, from the first environment that did not succeed. */
export async function retryBuild(store: ArtifactStore, runId: string, requestedBy: string, now: Date): Promise<BuildEvent> {
  const run = await requireRun(store, runId);
  if (ACTIVE.has(run.status)) {
    throw new RedeployError(`run ${runId} is still ${run.status}: only a run that has ended can be retried`, `wait for it, or stop it with stageline cancel ${runId}`);
  }
  if (run.status === 'SUCCEEDED') {
    throw new RedeployError(`run ${runId} succeeded: there is nothing to retry`, 'to deploy the same commit again on purpose, use stageline deploy --redeploy');
  }
  const from = run.tasks.find((task) => task.status !== 'SUCCEEDED');
  if (!from) {
    throw new RedeployError(`run ${runId} ${run.status.toLowerCase()} before any environment was created${run.failure ? ` (${run.failure.cause})` : ''}: there is no stored manifest to reuse`, 'fix the cause and deploy again (stageline deploy --redeploy runs the same commit as a new run)');
  }
  const { origin: _previous, ...build } = run.build;
  return { ...build, triggeredBy: requestedBy, origin: { kind: 'retry', of: runId, env: from.env, requestedAt: now.toISOString() } };
}

/**
 * The build event of a rollback of `env`: the build of the deployment to restore, pinned to its
 * manifest digest. `to` picks it (a run id, or a digest or its prefix of at least 7 characters);
 * by default the newest deployment before the current one whose manifest differs from it.
 */
export async function rollbackBuild(store: ArtifactStore, service: string, env: string, to: string | undefined, requestedBy: string, now: Date): Promise<{ build: BuildEvent; target: Deployment; current: Deployment }> {
  const history = await environmentHistory(store, service, env);
  const [current, ...earlier] = history;
  if (!current) throw new RedeployError(`${env}: nothing was ever deployed there, so there is nothing to roll back to`, `stageline history ${env} lists its deployments`);
  let target: Deployment | undefined;
  if (to !== undefined) {
    const matches = history.filter((deployment) => deployment.runId === to || (to.length >= 7 && deployment.digest.startsWith(to)));
    target = matches.find((deployment) => deployment !== current) ?? matches[0];
    if (!target) throw new RedeployError(`${env}: no deployment matches ${JSON.stringify(to)} (a run id, or a manifest digest of at least 7 characters)`, `stageline history ${env} lists its deployments`);
    if (target.digest === current.digest) throw new RedeployError(`${env}: ${JSON.stringify(to)} is the manifest deployed there now (run ${current.runId}); nothing to roll back`, `stageline history ${env} lists the earlier ones`);
  } else {
    target = earlier.find((deployment) => deployment.digest !== current.digest);
    if (!target) {
      throw new RedeployError(`${env}: nothing to roll back to: ${history.length === 1 ? 'it has been deployed once' : `every one of its ${history.length} deployments has the manifest deployed now`}`, `stageline history ${env} lists its deployments`);
    }
  }
  const run = await requireRun(store, target.runId);
  const { origin: _previous, ...build } = run.build;
  const origin: RunOrigin = { kind: 'rollback', of: target.runId, env, digest: target.digest, requestedAt: now.toISOString() };
  return { build: { ...build, triggeredBy: requestedBy, origin }, target, current };
}

/** The build event of a deliberate redeploy of `build`: rendered anew, as a new run. */
export function redeployBuild(build: BuildEvent, now: Date): BuildEvent {
  const { origin: _previous, ...plain } = build;
  return { ...plain, origin: { kind: 'redeploy', requestedAt: now.toISOString() } };
}

/**
 * The ResolveManifests step of a retry or rollback: the manifests of the run it repeats, read
 * from the store and checked against their digests, instead of a new render. A retry takes the
 * environments from the one that stopped the run onwards; a rollback the one environment.
 */
export async function manifestsOfOrigin(store: ArtifactStore, origin: RunOrigin): Promise<ResolvedManifest[]> {
  if (origin.kind === 'redeploy' || origin.of === undefined) throw new Error(`manifestsOfOrigin: a ${origin.kind} renders its manifests anew`);
  const run = await requireRun(store, origin.of);
  const start = run.tasks.findIndex((task) => task.env === origin.env);
  const tasks = origin.kind === 'retry' ? run.tasks.slice(Math.max(start, 0)) : run.tasks.filter((task) => task.env === origin.env && task.digest === origin.digest);
  if (tasks.length === 0 || (origin.kind === 'retry' && start < 0)) {
    throw new RedeployError(`run ${origin.of} has no environment ${origin.env}${origin.digest ? ` with manifest ${origin.digest.slice(0, 12)}` : ''} to ${origin.kind}`);
  }
  return Promise.all(
    tasks.map(async (task): Promise<ResolvedManifest> => {
      const yaml = await loadRunManifest(store, origin.of!, task.digest);
      const source = `run ${origin.of} manifest ${task.digest.slice(0, 12)} (${task.overlay})`;
      const manifest = parseYamlDocument(yaml, source, { duplicateKeys: 'error' });
      if (!isJsonObject(manifest)) throw new RedeployError(`${source}: the stored manifest is not a map`);
      const identity = validateManifest(manifest, source);
      const branchGlob = identity.labels[BRANCH_LABEL];
      return {
        overlay: task.overlay,
        source,
        identity,
        manifest,
        yaml,
        digest: task.digest,
        references: summarizeReferences(findReferences(manifest, source)),
        ...(branchGlob !== undefined ? { branchGlob } : {}),
      };
    }),
  );
}

/**
 * Inline mode: a stored manifest gets back its deployment target's gate settings (by environment,
 * one target per environment), so a retry or rollback passes the same gates as the first run.
 */
export function withInlineTargets(manifests: ResolvedManifest[], service: ServiceConfig): ResolvedManifest[] {
  return manifests.map((manifest) => {
    const index = service.spec.deploymentTargets.findIndex((target) => target.env === manifest.identity.env);
    if (index < 0) return manifest;
    const target = service.spec.deploymentTargets[index]!;
    return { ...manifest, target: { index, requiresApproval: target.requiresApproval, approvers: target.approvers, minApprovals: target.minApprovals, timeout: target.timeout } };
  });
}

/** The line a retried or rolled-back run shows about what it reuses. */
export function originWarning(origin: RunOrigin): string | undefined {
  if (origin.kind === 'retry') return `retry of run ${origin.of}: starts at ${origin.env} with that run's stored manifests (the environments before it succeeded there)`;
  if (origin.kind === 'rollback') return `rollback of ${origin.env} to the manifest ${origin.digest?.slice(0, 12)} deployed by run ${origin.of}`;
  return undefined;
}

