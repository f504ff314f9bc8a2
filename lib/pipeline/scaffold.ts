import { parse as parseYaml, stringify } from 'yaml';
import type { JsonObject, JsonValue } from '../kustomize/json.js';
import { isJsonObject } from '../kustomize/json.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { ScaffoldError } from './errors.js';
import { LOCAL_OVERLAY } from './resolve-manifests.js';

/** Files of a `_kustomize/` tree, by path relative to it (`base/kustomization.yaml`). */
export type ScaffoldFiles = Record<string, string>;

export type Platform = 'kubernetes' | 'ecs';

export interface OverlaySpec {
  /** Overlay directory name. */
  overlay: string;
  /** The environment it deploys to (its metadata.env). */
  env: string;
}

const KUSTOMIZATION_HEADER = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n';

/**
 * `stageline kustomize init --new`: a buildable tree with `base/` (one resource, blank image that
 * the pipeline fills), one overlay per environment setting `metadata.env`, and a `local` overlay
 * for `stageline dot-env`.
 */
export function scaffoldNewTree(options: { service: string; platform: Platform; overlays: readonly OverlaySpec[] }): ScaffoldFiles {
  const resource = options.platform === 'ecs' ? ecsService(options.service) : kubernetesDeployment(options.service);
  const files: ScaffoldFiles = {
    'base/kustomization.yaml': `${KUSTOMIZATION_HEADER}resources:\n  - resource.yaml\n`,
    'base/resource.yaml': `# Left blank on purpose: Stageline fills spec.container.app.image with the image the build produced.\n${toYaml(resource)}`,
  };
  const overlays = [...options.overlays.filter((spec) => spec.overlay !== LOCAL_OVERLAY), { overlay: LOCAL_OVERLAY, env: LOCAL_OVERLAY }];
  for (const { overlay, env } of overlays) {
    const patch: JsonObject = { apiVersion: resource.apiVersion!, kind: resource.kind!, metadata: { name: options.service, env } };
    if (overlay === LOCAL_OVERLAY) {
      patch.spec = { container: { app: { env: { variables: { GREETING: 'Hello from your laptop' }, secrets: {} } } } };
    }
    const header = overlay === LOCAL_OVERLAY ? '# Never deployed: `stageline dot-env` writes .env from it.\n' : `# Differences of ${env} from base/.\n`;
    files[`overlays/${overlay}/kustomization.yaml`] = overlayKustomization();
    files[`overlays/${overlay}/patch.yaml`] = header + toYaml(patch);
  }
  return files;
}

/** A manifest found in `deployed/<org>/<env>/<service>.yaml`. */
export interface DeployedManifest {
  env: string;
  key: string;
  manifest: JsonObject;
}

/** Every environment where a resource of `kind` named `name` was last deployed, in key order. */
export async function findDeployedResource(store: ArtifactStore, org: string, kind: string, name: string): Promise<DeployedManifest[]> {
  const found: DeployedManifest[] = [];
  for (const key of await store.list(`deployed/${org}/`)) {
    const parts = key.split('/');
    if (parts.length !== 4 || !key.endsWith('.yaml')) continue;
    const object = await store.get(key);
    if (!object) continue;
    let manifest: unknown;
    try {
      manifest = parseYaml(object.body);
    } catch {
      continue; // not ours to judge here; `stageline status` reports unreadable records
    }
    if (!isJsonObject(manifest as JsonValue)) continue;
    const metadata = (manifest as JsonObject).metadata;
    if ((manifest as JsonObject).kind === kind && isJsonObject(metadata) && metadata.name === name) {
      found.push({ env: parts[2]!, key, manifest: manifest as JsonObject });
    }
  }
  return found;
}

/**
 * `stageline kustomize init <kind> <name>`: `base/` holds what every deployed environment has in
 * common (maps intersected key by key, lists and scalars kept only when equal everywhere), and
 * each environment's overlay patch holds its differences (lists replace whole, as strategic merge
 * does for kinds without merge keys). The image is blanked in base and left out of the patches,
 * since the pipeline fills it; `metadata.env` lives only in the overlays.
 */
export function seedFromDeployed(deployed: readonly DeployedManifest[]): ScaffoldFiles {
  if (deployed.length === 0) throw new ScaffoldError('nothing deployed to seed from');
  const manifests = deployed.map(({ manifest }) => withoutImage(manifest));
  const base = (commonPart(manifests) ?? {}) as JsonObject;
  const metadata = isJsonObject(base.metadata) ? base.metadata : {};
  delete metadata.env;
  base.metadata = metadata;
  if (hasImageSlot(deployed[0]!.manifest)) setImage(base, '');
  const first = deployed[0]!.manifest;
  const files: ScaffoldFiles = {
    'base/kustomization.yaml': `${KUSTOMIZATION_HEADER}resources:\n  - resource.yaml\n`,
    'base/resource.yaml': `# Seeded from ${deployed.map((item) => item.key).join(', ')}\n${toYaml(base)}`,
  };
  deployed.forEach(({ env, key }, index) => {
    const diff = (difference(manifests[index]!, base) ?? {}) as JsonObject;
    const patch: JsonObject = { apiVersion: first.apiVersion!, kind: first.kind!, ...diff };
    const patchMetadata = isJsonObject(diff.metadata) ? diff.metadata : {};
    patch.metadata = { ...patchMetadata, name: (first.metadata as JsonObject).name!, env };
    files[`overlays/${env}/kustomization.yaml`] = overlayKustomization();
    files[`overlays/${env}/patch.yaml`] = `# Differences of ${env} (from ${key}) from base/.\n${toYaml(sortKeysFirst(patch))}`;
  });
  return files;
}

function overlayKustomization(): string {
  return `${KUSTOMIZATION_HEADER}resources:\n  - ../../base\npatches:\n  - path: patch.yaml\n`;
}

function kubernetesDeployment(name: string): JsonObject {
  return {
    apiVersion: 'kubernetes.openmcf.org/v1',
    kind: 'KubernetesDeployment',
    metadata: { name },
    spec: {
      container: {
        app: {
          image: '',
          ports: [{ name: 'http', containerPort: 8080, servicePort: 80, networkProtocol: 'TCP', appProtocol: 'http' }],
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '250m', memory: '256Mi' } },
          env: { variables: { PORT: '8080' } },
        },
      },
      availability: { minReplicas: 1 },
    },
  };
}

function ecsService(name: string): JsonObject {
  return {
    apiVersion: 'aws.openmcf.org/v1',
    kind: 'AwsEcsService',
    metadata: { name },
    spec: {
      container: {
        app: {
          image: '',
          cpu: 256,
          memory: 512,
          port: 8080,
          env: { variables: { PORT: '8080' } },
        },
      },
      replicas: 1,
    },
  };
}

function toYaml(value: JsonObject): string {
  return stringify(value, { lineWidth: 0 });
}

function sortKeysFirst(patch: JsonObject): JsonObject {
  const { apiVersion, kind, metadata, ...rest } = patch;
  return { apiVersion: apiVersion!, kind: kind!, metadata: metadata!, ...rest };
}

function hasImageSlot(manifest: JsonObject): boolean {
  const app = appOf(manifest);
  return app !== undefined && 'image' in app;
}

function withoutImage(manifest: JsonObject): JsonObject {
  const copy = structuredClone(manifest);
  const app = appOf(copy);
  if (app) delete app.image;
  return copy;
}

function setImage(manifest: JsonObject, image: string): void {
  const spec = isJsonObject(manifest.spec) ? manifest.spec : (manifest.spec = {});
  const container = isJsonObject(spec.container) ? spec.container : (spec.container = {});
  const app = isJsonObject(container.app) ? container.app : (container.app = {});
  app.image = image;
}

function appOf(manifest: JsonObject): JsonObject | undefined {
  const spec = manifest.spec;
  const container = isJsonObject(spec) ? spec.container : undefined;
  const app = isJsonObject(container) ? container.app : undefined;
  return isJsonObject(app) ? app : undefined;
}

/** The part common to all values; undefined when they differ entirely. */
export function commonPart(values: readonly JsonValue[]): JsonValue | undefined {
  if (values.every((value) => isJsonObject(value))) {
    const objects = values as JsonObject[];
    const out: JsonObject = {};
    for (const key of Object.keys(objects[0]!)) {
      if (!objects.every((object) => key in object)) continue;
      const common = commonPart(objects.map((object) => object[key]!));
      if (common !== undefined) out[key] = common;
    }
    return out;
  }
  return values.every((value) => deepEqual(value, values[0]!)) ? structuredClone(values[0]!) : undefined;
}

/** What `value` has that `base` has not (maps recursed, the rest replaced whole); undefined when nothing. */
export function difference(value: JsonValue, base: JsonValue | undefined): JsonValue | undefined {
  if (base === undefined) return structuredClone(value);
  if (isJsonObject(value) && isJsonObject(base)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const diff = difference(item, base[key]);
      if (diff !== undefined) out[key] = diff;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return deepEqual(value, base) ? undefined : structuredClone(value);
}

function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]!));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key]!, b[key]!));
  }
  return false;
}

/** What a service repository must keep out of git: local secrets and variables, the local store, `.env` files. */
export const GITIGNORE_ENTRIES: readonly string[] = ['.stageline/secrets.yaml', '.stageline/variables.yaml', '.stageline/store/', '.env*'];

/** The lines to append to a `.gitignore` (its current text, or undefined when there is none) so that it holds every entry; empty when it does. */
export function missingGitIgnoreLines(current: string | undefined): string[] {
  const present = new Set((current ?? '').split(/\r?\n/).map((line) => line.trim()));
  const missing = GITIGNORE_ENTRIES.filter((entry) => !present.has(entry) && !present.has(`/${entry}`));
  return missing.length === 0 ? [] : ['# Stageline: local secrets, variables, store and .env files stay on this machine', ...missing];
}

/** `stageline.yaml` of a new Git-mode service: every overlay but `local` deploys, a newer run supersedes an older one. */
export function scaffoldServiceFile(options: { service: string; org: string; kustomizeDir?: string }): string {
  return [
    'apiVersion: stageline.dev/v1',
    'kind: Service',
    'metadata:',
    `  name: ${options.service}`,
    `  org: ${options.org}`,
    'spec:',
    `  kustomizeDir: ${options.kustomizeDir ?? '_kustomize'}`,
    '  # Empty: every overlay except `local` deploys. List overlay names to deploy only those.',
    '  deploymentEnvironments: []',
    '  concurrency: supersede',
    '',
  ].join('\n');
}

/**
 * `.stageline/organization.yaml` for a repository that has none: the environments in promotion
 * order, the last one gated with `approver` as its approver, stack jobs run on this machine
 * (the `record` provisioner: it records what would be applied). Edit it into the organization's
 * real config, which normally lives in a shared place (`--org-config`).
 */
export function scaffoldOrganizationFile(options: { org: string; environments: readonly string[]; approver: string }): string {
  const lines = ['apiVersion: stageline.dev/v1', 'kind: Organization', 'metadata:', `  name: ${options.org}`, 'spec:', '  environments:            # the promotion order, first to last'];
  options.environments.forEach((env, index) => {
    lines.push(`    - name: ${env}`);
    if (index === options.environments.length - 1 && options.environments.length > 1) {
      lines.push('      approval:', '        required: true', `        approvers: [${JSON.stringify(options.approver)}]`, '        minApprovals: 1', '        timeout: 72h');
    }
  });
  lines.push('  stackJobs:', '    runner: local            # codebuild in AWS', '');
  return lines.join('\n');
}
