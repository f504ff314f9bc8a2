import type { ArtifactStore } from '../../ports/artifact-store.js';
import { listDecisions } from '../approvals/gate.js';
import { FINAL_TASK_STATUSES, listRunsOfService, type RunRecord, type RunTask, type TaskStatus } from './records.js';

/**
 * What is deployed where, read from the runs in the store: every SUCCEEDED environment of a run is
 * one deployment of that environment. One implementation for the local store and S3 alike (the
 * `stageline environments` and `stageline history` commands).
 */
export interface Deployment {
  env: string;
  overlay: string;
  runId: string;
  /** `deploy` for a build's run; `retry`, `rollback` or `redeploy` otherwise. */
  kind: 'deploy' | 'retry' | 'rollback' | 'redeploy';
  commitSha: string;
  branch: string;
  image: string;
  /** sha256 of the manifest as stored (runs/<runId>/manifests/<digest>.yaml). */
  digest: string;
  /** When the stack job finished applying it. */
  deployedAt: string;
  triggeredBy: string;
  /** Who approved the environment's gate (empty for an ungated environment or one approved by `--approve`'s operator only). */
  approvedBy: string[];
  stackJobId?: string;
}

/** A run that has not finished with this environment yet: what is coming. */
export interface InFlight {
  runId: string;
  commitSha: string;
  image: string;
  status: TaskStatus | 'QUEUED';
  since?: string;
}

export interface EnvironmentRow {
  env: string;
  deployed?: Deployment;
  inFlight: InFlight[];
}

/** Every deployment of `service`, newest first. */
export async function listDeployments(store: ArtifactStore, service: string): Promise<Deployment[]> {
  const runs = await listRunsOfService(store, service);
  const deployments = await Promise.all(runs.flatMap((run) => run.tasks.filter((task) => task.status === 'SUCCEEDED').map((task) => deploymentOf(store, run, task))));
  return deployments.sort((a, b) => b.deployedAt.localeCompare(a.deployedAt) || b.runId.localeCompare(a.runId));
}

/** One row per environment of the promotion order: the newest deployment and the runs on their way to it. */
export async function environmentsOverview(store: ArtifactStore, service: string, environments: readonly string[]): Promise<EnvironmentRow[]> {
  const [deployments, runs] = await Promise.all([listDeployments(store, service), listRunsOfService(store, service)]);
  return environments.map((env) => ({
    env,
    deployed: deployments.find((deployment) => deployment.env === env),
    inFlight: runs.flatMap((run) => inFlightFor(run, env)),
  }));
}

/** `env`'s deployments, newest first. */
export async function environmentHistory(store: ArtifactStore, service: string, env: string): Promise<Deployment[]> {
  return (await listDeployments(store, service)).filter((deployment) => deployment.env === env);
}

function inFlightFor(run: RunRecord, env: string): InFlight[] {
  const base = { runId: run.runId, commitSha: run.build.commitSha, image: run.build.image };
  if (run.status === 'QUEUED') return [{ ...base, status: 'QUEUED', since: run.createdAt }];
  if (run.status !== 'RUNNING') return [];
  const task = run.tasks.find((candidate) => candidate.env === env);
  if (!task || FINAL_TASK_STATUSES.includes(task.status)) return [];
  return [{ ...base, status: task.status, since: task.startedAt ?? run.createdAt }];
}

async function deploymentOf(store: ArtifactStore, run: RunRecord, task: RunTask): Promise<Deployment> {
  const approvedBy = task.approvalId
    ? (await listDecisions(store, task.approvalId).catch(() => [])).filter((decision) => decision.decision === 'approve').map((decision) => decision.approver)
    : [];
  return {
    env: task.env,
    overlay: task.overlay,
    runId: run.runId,
    kind: run.build.origin?.kind ?? 'deploy',
    commitSha: run.build.commitSha,
    branch: run.build.branch,
    image: run.build.image,
    digest: task.digest,
    deployedAt: task.finishedAt ?? run.finishedAt ?? run.updatedAt,
    triggeredBy: run.build.triggeredBy,
    approvedBy,
    ...(task.stackJobId ? { stackJobId: task.stackJobId } : {}),
  };
}
