/**
 * The deployment domain. Entry points the workflow Lambdas and the CLI call:
 * - resolveManifests: build overlays / render inline targets → validated, canonical, digested manifests;
 * - createDeploymentTasks: select (deploymentEnvironments, git-branch label), order, gate;
 * - resolveReferences: a manifest with its $secrets-group / $variables-group references resolved (in memory);
 * - buildDotEnv: the .env / .env_export files of an overlay.
 */
export { parseOrganization, environmentNames, requiredApproval, DEFAULT_APPROVAL_TIMEOUT } from './config/organization.js';
export type { OrganizationConfig, OrganizationEnvironment } from './config/organization.js';
export { parseService, resolutionMode } from './config/service.js';
export type { ServiceConfig, DeploymentTarget } from './config/service.js';
export { parseDuration } from './duration.js';
export { resolveManifests, fillImage, LOCAL_OVERLAY } from './resolve-manifests.js';
export type { BuildInfo, RenderOverlay, ResolveManifestsInput, ResolveManifestsResult, ResolvedManifest, SkippedOverlay, SkipReason } from './resolve-manifests.js';
export { createDeploymentTasks } from './deployment-tasks.js';
export type { ApprovalGate, DeploymentTask, DeploymentPlan, CreateDeploymentTasksInput } from './deployment-tasks.js';
export { validateManifest, canonicalizeManifest, sha256Hex, MAX_MANIFEST_BYTES, BRANCH_LABEL } from './manifest.js';
export type { ManifestIdentity, CanonicalManifest } from './manifest.js';
export { renderTemplate, TEMPLATE_VARIABLES } from './go-template.js';
export type { TemplateVariables } from './go-template.js';
export { matchesBranchGlob } from './branch-glob.js';
export { findReferences, summarizeReferences, parseReference } from './references.js';
export type { ManifestReferences, ReferenceOccurrence, ReferenceType } from './references.js';
export { resolveReferences } from './resolve-references.js';
export type { ReferenceSources, ReferenceContext } from './resolve-references.js';
export { buildDotEnv, renderDotEnvFiles, parseSets, quoteDotEnv, quoteShell } from './dot-env.js';
export type { DotEnvFiles, DotEnvInput } from './dot-env.js';
export { toPlanJson, formatPlanText } from './plan.js';
export type { PlanJson, PlanTaskJson, PlanSkippedJson } from './plan.js';
export { manifestKey, storeRunManifests, loadRunManifest } from './run-manifests.js';
export { scaffoldNewTree, seedFromDeployed, findDeployedResource, commonPart, difference } from './scaffold.js';
export type { ScaffoldFiles, Platform, OverlaySpec, DeployedManifest } from './scaffold.js';
export * from './errors.js';
