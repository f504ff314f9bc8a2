import { posix } from 'node:path';
import type { FileSystem } from '../kustomize/file-system.js';
import type { JsonObject, JsonValue } from '../kustomize/json.js';
import { isJsonObject } from '../kustomize/json.js';
import { environmentNames, type OrganizationConfig } from './config/organization.js';
import { resolutionMode, type DeploymentTarget, type ServiceConfig } from './config/service.js';
import { EnvironmentMatchError, ManifestError } from './errors.js';
import { renderTemplate, type TemplateVariables } from './go-template.js';
import { BRANCH_LABEL, canonicalizeManifest, validateManifest, type ManifestIdentity } from './manifest.js';
import { findReferences, summarizeReferences, type ManifestReferences } from './references.js';
import { formatPath, type PathSegment } from './object-path.js';

/** The overlay that never deploys: it feeds `stageline dot-env` and local development. */
export const LOCAL_OVERLAY = 'local';

/** What the build produced; the run's trigger event carries it (DESIGN §5). */
export interface BuildInfo {
  commitSha: string;
  branch: string;
  tag?: string;
  /** The image reference the build pushed, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello:abc1234`. */
  image: string;
}

/** Builds one overlay directory (an absolute path of the FileSystem) into its resources. */
export type RenderOverlay = (overlayDir: string) => JsonObject[];

export interface ResolveManifestsInput {
  organization: OrganizationConfig;
  service: ServiceConfig;
  build: BuildInfo;
  /** Git mode: the project's files (`stageline.yaml` + `_kustomize/`), and the project root inside it. */
  fs?: FileSystem;
  projectDir?: string;
  /**
   * Git mode: how an overlay is built. Entry points pass the Kustomize engine
   * (`(dir) => buildKustomization(fs, dir).resources`); tests inject their own. Injected so that
   * the domain's rules are tested apart from the engine.
   */
  renderOverlay?: RenderOverlay;
  /** The service file's name in messages (default `stageline.yaml`). */
  serviceFile?: string;
}

/** One manifest ready to deploy: validated, canonical, digested. */
export interface ResolvedManifest extends ManifestSummary {
  /** The manifest with the image filled in and references still unresolved. */
  manifest: JsonObject;
  /** Canonical YAML (emitYaml); its sha256 hex is `digest`. */
  yaml: string;
}

/**
 * What the workflow carries about a manifest between steps once it is stored: keys, digests and
 * names only (a state's payload is limited and readable in the console).
 */
export interface ManifestSummary {
  /** The task's name: the overlay directory (Git mode) or the target's environment (inline mode). */
  overlay: string;
  /** Where it came from, as error messages name it. */
  source: string;
  identity: ManifestIdentity;
  /** sha256 hex of the canonical YAML. */
  digest: string;
  references: ManifestReferences;
  /** The `stageline.dev/git-branch` label, when set. */
  branchGlob?: string;
  /** Inline mode: the deployment target it came from. */
  target?: { index: number } & Pick<DeploymentTarget, 'requiresApproval' | 'approvers' | 'minApprovals' | 'timeout'>;
  /** Things that deploy but look unintended (a `{{ … }}` left in a Git-mode manifest); plan and run list them. */
  warnings?: string[];
}

export type SkipReason = 'local' | 'filtered' | 'branch';

export interface SkippedOverlay {
  overlay: string;
  /** The environment, when the overlay was built. */
  env?: string;
  reason: SkipReason;
  /** One line a person reads: why it does not deploy. */
  detail: string;
}

export interface ResolveManifestsResult {
  mode: 'git' | 'inline';
  /** One per deployable overlay/target, in directory / list order (ordering happens in createDeploymentTasks). */
  manifests: ResolvedManifest[];
  /** Overlays that never deploy (`local`). */
  skipped: SkippedOverlay[];
}

/**
 * The ResolveManifests step: builds every overlay (or renders every inline target), validates
 * each manifest and computes its canonical YAML and digest. Every problem (a broken overlay, a
 * missing or unknown `metadata.env`, several resources in one overlay, a bad template or
 * reference) is reported here, before anything is deployed. Synchronous and pure over `fs`.
 */
export function resolveManifests(input: ResolveManifestsInput): ResolveManifestsResult {
  return resolutionMode(input.service) === 'inline' ? resolveInline(input) : resolveGit(input);
}

function resolveGit(input: ResolveManifestsInput): ResolveManifestsResult {
  const { fs, organization, service, renderOverlay: render } = input;
  if (!fs || !render) throw new Error('resolveManifests: Git mode needs the project FileSystem and renderOverlay');
  const projectDir = input.projectDir ?? '/';
  const kustomizeDir = service.spec.kustomizeDir;
  const overlaysDir = posix.join(projectDir, kustomizeDir, 'overlays');
  // An empty overlays/ and a missing one get the same answer: a build's stored source (what a run
  // resolves) keeps files only, so an empty directory is missing there.
  if (!fs.isDirectory(overlaysDir) || !fs.readDir(overlaysDir).some((entry) => fs.isDirectory(posix.join(overlaysDir, entry)))) {
    throw new ManifestError(`${kustomizeDir}/overlays: no overlay directory (missing or empty); Git-based resolution builds one overlay per environment`, {
      hint: 'run `stageline kustomize init --new`, or list inline spec.deploymentTargets in stageline.yaml',
    });
  }
  const known = environmentNames(organization);
  const manifests: ResolvedManifest[] = [];
  const skipped: SkippedOverlay[] = [];
  for (const overlay of fs.readDir(overlaysDir)) {
    const dir = posix.join(overlaysDir, overlay);
    if (!fs.isDirectory(dir)) continue;
    if (overlay === LOCAL_OVERLAY) {
      skipped.push({ overlay, reason: 'local', detail: 'the local overlay is for development (stageline dot-env) and never deploys' });
      continue;
    }
    const source = `overlay "${overlay}" (${kustomizeDir}/overlays/${overlay})`;
    let resources: JsonObject[];
    try {
      resources = render(dir);
    } catch (error) {
      throw new ManifestError(`${source}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (resources.length !== 1) {
      const names = resources.map((resource) => `${String(resource.kind)}/${String(isJsonObject(resource.metadata) ? resource.metadata.name : '?')}`);
      throw new ManifestError(`${source}: yields ${resources.length} resources${names.length ? ` (${names.join(', ')})` : ''}, expected exactly one`, {
        hint: 'an overlay describes one cloud resource; split other resources into their own service or overlay tree',
      });
    }
    const manifest = structuredClone(resources[0]!);
    const identity = validateManifest(manifest, source);
    requireKnownEnvironment(identity.env, known, `${source}: metadata.env`);
    fillImage(manifest, input.build.image);
    const resolved = finish(overlay, source, manifest, identity);
    const templates = templateLeftovers(manifest, source);
    if (templates.length > 0) resolved.warnings = templates;
    manifests.push(resolved);
  }
  return { mode: 'git', manifests, skipped };
}

function resolveInline(input: ResolveManifestsInput): ResolveManifestsResult {
  const { organization, service, build } = input;
  const file = input.serviceFile ?? 'stageline.yaml';
  const known = environmentNames(organization);
  const seen = new Map<string, number>();
  const manifests = service.spec.deploymentTargets.map((target, index) => {
    const where = `${file}: spec.deploymentTargets[${index}]`;
    requireKnownEnvironment(target.env, known, `${where}.env`);
    const previous = seen.get(target.env);
    if (previous !== undefined) {
      throw new EnvironmentMatchError(`${where}.env: environment ${target.env} already has a target (spec.deploymentTargets[${previous}]); one target per environment`);
    }
    seen.set(target.env, index);
    const source = `${file} spec.deploymentTargets[${index}].manifest`;
    const variables: TemplateVariables = {
      Image: build.image,
      CommitSHA: build.commitSha,
      ShortSHA: build.commitSha.slice(0, 7),
      Branch: build.branch,
      Tag: build.tag ?? '',
      Service: service.metadata.name,
      Env: target.env,
    };
    const manifest = renderTemplate(target.manifest as JsonValue, variables, source) as JsonObject;
    applyTargetIdentity(manifest, target, `${where}`);
    const identity = validateManifest(manifest, source);
    const resolved = finish(target.env, source, manifest, identity);
    resolved.target = { index, requiresApproval: target.requiresApproval, approvers: target.approvers, minApprovals: target.minApprovals, timeout: target.timeout };
    return resolved;
  });
  return { mode: 'inline', manifests, skipped: [] };
}

/** How many `{{ … }}` leftovers one overlay reports; the rest are counted. */
const MAX_TEMPLATE_WARNINGS = 3;

/**
 * Git-mode manifests are not templates (only inline targets are rendered): a `{{ .Image }}` there
 * deploys literally, which is rarely what was meant. Each such string is named with its place.
 */
function templateLeftovers(manifest: JsonObject, source: string): string[] {
  const found: string[] = [];
  const visit = (value: JsonValue, path: PathSegment[]) => {
    if (typeof value === 'string') {
      const template = /\{\{.*?\}\}/s.exec(value);
      if (template) found.push(`${source}: ${formatPath(path)} contains ${JSON.stringify(template[0])}, which Git mode does not render (templates are for inline spec.deploymentTargets); it deploys as written`);
    } else if (Array.isArray(value)) value.forEach((item, index) => visit(item, [...path, index]));
    else if (isJsonObject(value)) for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
  };
  visit(manifest, []);
  if (found.length <= MAX_TEMPLATE_WARNINGS) return found;
  return [...found.slice(0, MAX_TEMPLATE_WARNINGS), `${source}: ${found.length - MAX_TEMPLATE_WARNINGS} more values contain {{ … }}`];
}

/** The target's `kind` and `env` fill the manifest's when absent; when both are present they must agree. */
function applyTargetIdentity(manifest: JsonObject, target: DeploymentTarget, where: string): void {
  if (target.kind !== undefined) {
    if (manifest.kind === undefined) manifest.kind = target.kind;
    else if (manifest.kind !== target.kind) {
      throw new ManifestError(`${where}.manifest.kind: ${JSON.stringify(manifest.kind)} differs from the target's kind ${JSON.stringify(target.kind)}`);
    }
  }
  const metadata = isJsonObject(manifest.metadata) ? manifest.metadata : undefined;
  if (metadata && metadata.env === undefined) metadata.env = target.env;
  else if (metadata && metadata.env !== target.env) {
    throw new ManifestError(`${where}.manifest.metadata.env: ${JSON.stringify(metadata.env)} differs from the target's env ${JSON.stringify(target.env)}`);
  }
}

function finish(overlay: string, source: string, manifest: JsonObject, identity: ManifestIdentity): ResolvedManifest {
  const references = summarizeReferences(findReferences(manifest, source));
  const { yaml, digest } = canonicalizeManifest(manifest, source);
  const branchGlob = identity.labels[BRANCH_LABEL];
  return { overlay, source, identity, manifest, yaml, digest, references, ...(branchGlob !== undefined ? { branchGlob } : {}) };
}

export function requireKnownEnvironment(env: string, known: readonly string[], where: string): void {
  if (!known.includes(env)) {
    throw new ManifestError(`${where}: ${JSON.stringify(env)} is not an environment of the organization (known: ${known.join(', ')})`, {
      hint: 'use one of the environments of organization.yaml, or ask for the environment to be added there',
    });
  }
}

/**
 * Image injection (Git mode): `spec.container.app.image` left blank (`""` or null) is filled with
 * the built image; an authored image is kept; a manifest without that slot is left alone.
 */
export function fillImage(manifest: JsonObject, image: string): void {
  const spec = manifest.spec;
  const container = isJsonObject(spec) ? spec.container : undefined;
  const app = isJsonObject(container) ? container.app : undefined;
  if (isJsonObject(app) && 'image' in app && (app.image === '' || app.image === null)) app.image = image;
}
