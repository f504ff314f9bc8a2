import { environmentNames, requiredApproval, type OrganizationConfig } from './config/organization.js';
import type { ServiceConfig } from './config/service.js';
import { DEFAULT_APPROVAL_TIMEOUT } from './config/organization.js';
import { parseDuration } from './duration.js';
import { matchesBranchGlob } from './branch-glob.js';
import { ConfigError } from '../errors.js';
import { EnvironmentMatchError } from './errors.js';
import { BRANCH_LABEL } from './manifest.js';
import type { ManifestReferences } from './references.js';
import { LOCAL_OVERLAY, type ManifestSummary, type SkippedOverlay } from './resolve-manifests.js';

/** A manual approval the task waits for before its stack job starts. */
export interface ApprovalGate {
  approvers: string[];
  minApprovals: number;
  /** The gate's timeout (Step Functions TimeoutSecondsPath). */
  timeoutSeconds: number;
  /** Who asked for the gate: the organization's policy, the service's target, or both. */
  requiredBy: Array<'organization' | 'service'>;
}

/** Which environment a task deploys, and what: shared by the plan, the workflow payloads and run.json. */
export interface TaskIdentity {
  /** 0-based position in the run. */
  index: number;
  /** Overlay directory (Git mode) or target environment (inline mode). */
  overlay: string;
  /** Target environment (the manifest's metadata.env). */
  env: string;
  /** Manifest kind and metadata.name. */
  kind: string;
  name: string;
  /** sha256 hex of the canonical manifest (stored as runs/<runId>/manifests/<digest>.yaml). */
  digest: string;
}

export function taskIdentity(task: TaskIdentity): TaskIdentity {
  return { index: task.index, overlay: task.overlay, env: task.env, kind: task.kind, name: task.name, digest: task.digest };
}

/** One environment to deploy, in promotion order. Small on purpose: it travels in state payloads. */
export interface DeploymentTask extends TaskIdentity {
  gate: ApprovalGate | null;
  references: ManifestReferences;
  /** The role the runner assumes for this environment's stack job, when the organization sets one. */
  awsRoleArn?: string;
}

export interface DeploymentPlan {
  tasks: DeploymentTask[];
  skipped: SkippedOverlay[];
  /** Configuration that has no effect (e.g. `requiresApproval: false` on a gated environment). */
  warnings: string[];
}

/** The resolve step's result as the task step sees it (manifests already stored). */
export interface ResolvedSummaries {
  mode: 'git' | 'inline';
  /** A retry's or rollback's subset of the service's manifests: the listed overlays need not all be there. */
  partial?: boolean;
  manifests: readonly ManifestSummary[];
  skipped: readonly SkippedOverlay[];
}

export interface CreateDeploymentTasksInput {
  organization: OrganizationConfig;
  service: ServiceConfig;
  resolved: ResolvedSummaries;
  /** The branch that triggered the run. */
  branch: string;
  serviceFile?: string;
}

/**
 * The CreateDeploymentTasks step: selects the manifests this branch deploys, orders them by the
 * organization's promotion order and marks the gates.
 *
 * Selection, per manifest: a `stageline.dev/git-branch` label decides alone (it wins over
 * `deploymentEnvironments`); otherwise a non-empty `deploymentEnvironments` must name the overlay
 * (exact, case-sensitive). Naming an overlay that does not exist is an error, and so are two
 * selected manifests targeting the same environment.
 *
 * Gates: the organization's `approval.required` always applies (a service cannot remove it); a
 * target's `requiresApproval: true` adds one.
 */
export function createDeploymentTasks(input: CreateDeploymentTasksInput): DeploymentPlan {
  const { organization, service, resolved, branch } = input;
  const file = input.serviceFile ?? 'stageline.yaml';
  const listed = service.spec.deploymentEnvironments;
  if (!resolved.partial) checkListedOverlays(listed, resolved, file);

  const skipped: SkippedOverlay[] = [...resolved.skipped];
  const selected: ManifestSummary[] = [];
  for (const manifest of resolved.manifests) {
    const env = manifest.identity.env;
    if (manifest.branchGlob !== undefined) {
      if (matchesBranchGlob(manifest.branchGlob, branch)) selected.push(manifest);
      else skipped.push({ overlay: manifest.overlay, env, reason: 'branch', detail: `label ${BRANCH_LABEL}: ${JSON.stringify(manifest.branchGlob)} does not match branch ${JSON.stringify(branch)}` });
    } else if (listed.length > 0 && !listed.includes(manifest.overlay)) {
      skipped.push({ overlay: manifest.overlay, env, reason: 'filtered', detail: `not listed in ${file} spec.deploymentEnvironments` });
    } else {
      selected.push(manifest);
    }
  }

  const byEnv = new Map<string, ManifestSummary>();
  for (const manifest of selected) {
    const other = byEnv.get(manifest.identity.env);
    if (other) {
      throw new EnvironmentMatchError(`${other.source} and ${manifest.source} both deploy to environment ${manifest.identity.env} on branch ${JSON.stringify(branch)}`, {
        hint: `keep one overlay per environment, or restrict them to different branches with the ${BRANCH_LABEL} label`,
      });
    }
    byEnv.set(manifest.identity.env, manifest);
  }

  const order = environmentNames(organization);
  selected.sort((a, b) => order.indexOf(a.identity.env) - order.indexOf(b.identity.env));
  const warnings: string[] = selected.flatMap((manifest) => manifest.warnings ?? []);
  const tasks = selected.map((manifest, index): DeploymentTask => {
    const environment = organization.spec.environments.find((candidate) => candidate.name === manifest.identity.env)!;
    const task: DeploymentTask = {
      index,
      overlay: manifest.overlay,
      env: manifest.identity.env,
      kind: manifest.identity.kind,
      name: manifest.identity.name,
      digest: manifest.digest,
      gate: gateFor(manifest, environment, organization, file, warnings),
      references: manifest.references,
    };
    if (environment.credentials?.awsRoleArn) task.awsRoleArn = environment.credentials.awsRoleArn;
    return task;
  });
  return { tasks, skipped, warnings };
}

function checkListedOverlays(listed: readonly string[], resolved: ResolvedSummaries, file: string): void {
  const available = resolved.manifests.map((manifest) => manifest.overlay);
  listed.forEach((name, index) => {
    if (available.includes(name)) return;
    const where = `${file}: spec.deploymentEnvironments[${index}]`;
    if (name === LOCAL_OVERLAY) throw new ConfigError(`${where}: the local overlay never deploys`, { hint: 'remove "local" from the list' });
    const noun = resolved.mode === 'inline' ? 'deployment target environment' : 'overlay';
    throw new ConfigError(`${where}: no ${noun} named ${JSON.stringify(name)} (exact, case-sensitive; available: ${available.join(', ') || 'none'})`);
  });
}

function gateFor(
  manifest: ManifestSummary,
  environment: OrganizationConfig['spec']['environments'][number],
  organization: OrganizationConfig,
  file: string,
  warnings: string[],
): ApprovalGate | null {
  const orgGate = requiredApproval(environment);
  const target = manifest.target;
  const where = target ? `${file}: spec.deploymentTargets[${target.index}]` : '';
  if (orgGate) {
    if (target?.requiresApproval === false) {
      warnings.push(`${where}.requiresApproval: false is ignored: organization ${organization.metadata.name} requires approval for ${environment.name}`);
    }
    return { ...orgGate, requiredBy: target?.requiresApproval ? ['organization', 'service'] : ['organization'] };
  }
  if (!target?.requiresApproval) return null;
  const approvers = target.approvers ?? environment.approval?.approvers ?? [];
  if (approvers.length === 0) {
    throw new ConfigError(`${where}.approvers: requiresApproval is true but nobody can approve (organization sets no approvers for ${environment.name})`, {
      hint: 'list approvers on the target',
    });
  }
  const minApprovals = target.minApprovals ?? Math.min(environment.approval?.minApprovals ?? 1, approvers.length);
  if (minApprovals > approvers.length) {
    throw new ConfigError(`${where}.minApprovals: expected at most ${approvers.length} (the number of approvers), got ${minApprovals}`);
  }
  const timeout = target.timeout ?? environment.approval?.timeout ?? DEFAULT_APPROVAL_TIMEOUT;
  return { approvers, minApprovals, timeoutSeconds: parseDuration(timeout)!, requiredBy: ['service'] };
}
