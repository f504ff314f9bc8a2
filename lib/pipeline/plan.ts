import { taskIdentity, type TaskIdentity, type DeploymentPlan } from './deployment-tasks.js';
import type { ResolveManifestsResult, SkipReason } from './resolve-manifests.js';

/**
 * The JSON printed by `stageline plan --json`. Stable: fields are only ever added (a breaking
 * change bumps `schemaVersion`). Example:
 *
 * ```json
 * {
 *   "schemaVersion": 1,
 *   "service": "hello-service",
 *   "organization": "acme",
 *   "branch": "main",
 *   "mode": "git",
 *   "tasks": [
 *     { "index": 0, "overlay": "dev", "env": "app-dev", "kind": "KubernetesDeployment", "name": "hello-service",
 *       "digest": "9f2c…", "gate": null, "references": { "secrets": [], "variables": ["observability/log-level"] } },
 *     { "index": 2, "overlay": "production", "env": "app-production", …,
 *       "gate": { "approvers": ["ops@acme.io"], "minApprovals": 1, "timeoutSeconds": 259200, "requiredBy": ["organization"] } }
 *   ],
 *   "skipped": [ { "overlay": "local", "env": null, "reason": "local", "detail": "…" } ],
 *   "warnings": []
 * }
 * ```
 */
export interface PlanJson {
  /** Always 1 for this shape. */
  schemaVersion: 1;
  service: string;
  organization: string;
  /** The branch the plan was computed for. */
  branch: string;
  /** `git`: overlays of the _kustomize tree; `inline`: spec.deploymentTargets. */
  mode: 'git' | 'inline';
  /** What would deploy, in promotion order (the order of the run). */
  tasks: PlanTaskJson[];
  /** What would not deploy, and why; in overlay directory order. */
  skipped: PlanSkippedJson[];
  /** Configuration without effect, one line each. */
  warnings: string[];
}

/** `digest` is for the placeholder image the plan uses (see docs). */
export interface PlanTaskJson extends TaskIdentity {
  /** null when the environment deploys without waiting. */
  gate: { approvers: string[]; minApprovals: number; timeoutSeconds: number; requiredBy: Array<'organization' | 'service'> } | null;
  /** Reference names (`group/key`), sorted; never values. */
  references: { secrets: string[]; variables: string[] };
}

export interface PlanSkippedJson {
  overlay: string;
  /** The manifest's environment; null when the overlay was not built (`local`). */
  env: string | null;
  /** `local`: the local overlay; `filtered`: not in deploymentEnvironments; `branch`: git-branch label does not match. */
  reason: SkipReason;
  detail: string;
}

export function toPlanJson(context: { service: string; organization: string; branch: string }, resolved: ResolveManifestsResult, plan: DeploymentPlan): PlanJson {
  return {
    schemaVersion: 1,
    service: context.service,
    organization: context.organization,
    branch: context.branch,
    mode: resolved.mode,
    tasks: plan.tasks.map((task) => ({
      ...taskIdentity(task),
      gate: task.gate ? { approvers: [...task.gate.approvers], minApprovals: task.gate.minApprovals, timeoutSeconds: task.gate.timeoutSeconds, requiredBy: [...task.gate.requiredBy] } : null,
      references: { secrets: [...task.references.secrets], variables: [...task.references.variables] },
    })),
    skipped: plan.skipped.map((skip) => ({ overlay: skip.overlay, env: skip.env ?? null, reason: skip.reason, detail: skip.detail })),
    warnings: [...plan.warnings],
  };
}

/** Human-readable plan, one line per task / skipped overlay. */
export function formatPlanText(plan: PlanJson): string[] {
  const lines = [`Plan for ${plan.service} (${plan.organization}) on branch ${plan.branch}:`];
  if (plan.tasks.length === 0) lines.push('  nothing to deploy');
  for (const task of plan.tasks) {
    const gate = task.gate
      ? `gate: ${task.gate.minApprovals} of ${task.gate.approvers.join(', ')} within ${formatSeconds(task.gate.timeoutSeconds)}`
      : 'no gate';
    lines.push(`  ${task.index + 1}. ${task.overlay} → ${task.env}  ${task.kind}/${task.name}  ${gate}  sha256:${task.digest.slice(0, 12)}`);
    const refs = [...task.references.secrets.map((name) => `secret ${name}`), ...task.references.variables.map((name) => `variable ${name}`)];
    if (refs.length > 0) lines.push(`     references: ${refs.join(', ')}`);
  }
  for (const skip of plan.skipped) lines.push(`  skipped ${skip.overlay}${skip.env ? ` (${skip.env})` : ''} [${skip.reason}]: ${skip.detail}`);
  for (const warning of plan.warnings) lines.push(`  warning: ${warning}`);
  return lines;
}

function formatSeconds(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
