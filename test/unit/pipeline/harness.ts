import { posix } from 'node:path';
import { parse } from 'yaml';
import { MemoryFileSystem } from '../../../lib/kustomize/memory-file-system.js';
import type { FileSystem } from '../../../lib/kustomize/file-system.js';
import type { JsonObject } from '../../../lib/kustomize/json.js';
import { isJsonObject } from '../../../lib/kustomize/json.js';
import { parseOrganization, type OrganizationConfig } from '../../../lib/pipeline/config/organization.js';
import { parseService, type ServiceConfig } from '../../../lib/pipeline/config/service.js';
import { createDeploymentTasks } from '../../../lib/pipeline/deployment-tasks.js';
import { resolveManifests, type BuildInfo, type ResolveManifestsResult } from '../../../lib/pipeline/resolve-manifests.js';

/**
 * The test harness for the deployment domain: write a project in memory, resolve it, plan it.
 * Overlays are built by `fakeRender`, a deliberately tiny stand-in for the Kustomize engine
 * (resources + `patches: - path:` deep-merged + `labels`/`commonLabels`), so these tests
 * exercise the domain's rules, not the engine.
 */
export const ORG_YAML = `apiVersion: stageline.dev/v1
kind: Organization
metadata: { name: acme }
spec:
  environments:
    - name: app-dev
    - name: app-staging
    - name: app-production
      approval: { required: true, approvers: [ops@acme.io, lead@acme.io], minApprovals: 1, timeout: 72h }
`;

export const SERVICE_YAML = `apiVersion: stageline.dev/v1
kind: Service
metadata: { name: hello, org: acme }
spec: {}
`;

export const BUILD: BuildInfo = { commitSha: 'abcdef0123456789abcdef0123456789abcdef01', branch: 'main', image: 'registry.example/hello:abcdef0' };

export function organization(text = ORG_YAML): OrganizationConfig {
  return parseOrganization(text, 'organization.yaml');
}

export function service(spec = '{}'): ServiceConfig {
  return parseService(SERVICE_YAML.replace('spec: {}', `spec: ${spec}`), 'stageline.yaml');
}

/** `base/` + an overlay per entry: `{ dev: 'app-dev' }` → overlays/dev patching metadata.env. */
export function project(overlays: Record<string, string | null>, extra: Record<string, string> = {}): MemoryFileSystem {
  const files: Record<string, string> = {
    '_kustomize/base/kustomization.yaml': 'resources: [deployment.yaml]\n',
    '_kustomize/base/deployment.yaml': `apiVersion: kubernetes.openmcf.org/v1
kind: KubernetesDeployment
metadata: { name: hello }
spec:
  container:
    app:
      image: ""
      env:
        variables: { PORT: "8080" }
`,
  };
  for (const [overlay, env] of Object.entries(overlays)) {
    files[`_kustomize/overlays/${overlay}/kustomization.yaml`] = 'resources: [../../base]\npatches:\n  - path: patch.yaml\n';
    files[`_kustomize/overlays/${overlay}/patch.yaml`] = `apiVersion: kubernetes.openmcf.org/v1
kind: KubernetesDeployment
metadata: { name: hello${env === null ? '' : `, env: ${env}`} }
`;
  }
  return new MemoryFileSystem({ ...files, ...extra });
}

export function fakeRender(fs: FileSystem): (dir: string) => JsonObject[] {
  const render = (dir: string): JsonObject[] => {
    const kustomization = parse(fs.readFile(posix.join(dir, 'kustomization.yaml'))) as JsonObject;
    const resources: JsonObject[] = [];
    for (const entry of (kustomization.resources as string[] | undefined) ?? []) {
      const path = posix.join(dir, entry);
      if (fs.isDirectory(path)) resources.push(...render(path));
      else resources.push(...fs.readFile(path).split(/^---$/m).map((doc) => parse(doc) as JsonObject).filter(Boolean));
    }
    for (const patch of (kustomization.patches as Array<{ path: string }> | undefined) ?? []) {
      const body = parse(fs.readFile(posix.join(dir, patch.path))) as JsonObject;
      for (const resource of resources) {
        if (resource.kind === body.kind && (resource.metadata as JsonObject).name === (body.metadata as JsonObject).name) merge(resource, body);
      }
    }
    const labels = { ...((kustomization.commonLabels as JsonObject) ?? {}), ...(((kustomization.labels as Array<{ pairs: JsonObject }>) ?? [])[0]?.pairs ?? {}) };
    if (Object.keys(labels).length > 0) {
      for (const resource of resources) {
        const metadata = resource.metadata as JsonObject;
        metadata.labels = { ...((metadata.labels as JsonObject) ?? {}), ...labels };
      }
    }
    return resources;
  };
  return render;
}

function merge(target: JsonObject, patch: JsonObject): void {
  for (const [key, value] of Object.entries(patch)) {
    if (isJsonObject(value) && isJsonObject(target[key])) merge(target[key] as JsonObject, value);
    else target[key] = structuredClone(value);
  }
}

export function resolve(fs: FileSystem, options: { org?: OrganizationConfig; service?: ServiceConfig; build?: Partial<BuildInfo> } = {}): ResolveManifestsResult {
  return resolveManifests({
    organization: options.org ?? organization(),
    service: options.service ?? service(),
    build: { ...BUILD, ...options.build },
    fs,
    projectDir: '/',
    renderOverlay: fakeRender(fs),
  });
}

export function plan(fs: FileSystem, options: { org?: OrganizationConfig; service?: ServiceConfig; branch?: string } = {}) {
  const org = options.org ?? organization();
  const svc = options.service ?? service();
  const resolved = resolve(fs, { org, service: svc, build: { branch: options.branch ?? 'main' } });
  return createDeploymentTasks({ organization: org, service: svc, resolved, branch: options.branch ?? 'main' });
}

/** The message of what `action` throws (fails the test when it does not throw). */
export function errorOf(action: () => unknown): Error & { code?: string; hint?: string } {
  try {
    action();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected an error');
}

export async function rejectionOf(action: () => Promise<unknown>): Promise<Error & { code?: string; hint?: string }> {
  try {
    await action();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
