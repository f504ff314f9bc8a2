import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../kustomize/json.js';
import { isJsonObject } from '../kustomize/json.js';
import { emitYaml } from '../kustomize/yaml/emit.js';
import { DNS_LABEL } from './config/common.js';
import { ManifestError } from './errors.js';

/**
 * The biggest canonical manifest Stageline accepts, in bytes of UTF-8 YAML: 256 KiB, the Step
 * Functions payload limit. Payloads carry digests, not manifests, but a resource description that
 * large is a mistake (a bundled file, a generated list) and would make approval pages and diffs
 * unreadable; refusing it early is kinder than failing in a stack job.
 */
export const MAX_MANIFEST_BYTES = 256 * 1024;

/** The label that restricts a manifest to branches matching a glob (DESIGN §2). */
export const BRANCH_LABEL = 'stageline.dev/git-branch';

const API_VERSION = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?v[0-9]+((alpha|beta)[0-9]+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** What the pipeline needs to know about a validated manifest. */
export interface ManifestIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  env: string;
  labels: Record<string, string>;
}

/**
 * Checks the fields every manifest must have: `apiVersion` (`group/vN`), `kind` (`PascalCase`),
 * `metadata.name` (DNS-1123 subdomain, ≤ 253 characters), `metadata.env` (DNS-1123 label).
 * `source` names where the manifest came from (`overlay "dev" (_kustomize/overlays/dev)`) and
 * starts every error message.
 */
export function validateManifest(manifest: JsonValue, source: string): ManifestIdentity {
  if (!isJsonObject(manifest)) throw new ManifestError(`${source}: expected a manifest (a map), got ${describe(manifest)}`);
  const apiVersion = manifest.apiVersion;
  if (typeof apiVersion !== 'string' || !API_VERSION.test(apiVersion)) {
    throw new ManifestError(`${source}: apiVersion: expected "<group>/<version>" like "kubernetes.openmcf.org/v1", got ${describe(apiVersion)}`);
  }
  const kind = manifest.kind;
  if (typeof kind !== 'string' || !KIND.test(kind)) {
    throw new ManifestError(`${source}: kind: expected a PascalCase kind like "KubernetesDeployment", got ${describe(kind)}`);
  }
  const metadata = manifest.metadata;
  if (!isJsonObject(metadata)) throw new ManifestError(`${source}: metadata: expected a map with name and env, got ${describe(metadata)}`);
  const name = metadata.name;
  if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw new ManifestError(`${source}: metadata.name: expected a DNS-1123 name (lowercase letters, digits, '-' and '.'), got ${describe(name)}`);
  }
  const env = metadata.env;
  if (env === undefined) {
    throw new ManifestError(`${source}: metadata.env: missing; every deployable manifest names its environment`, {
      hint: 'add `metadata: { env: <environment> }` to the overlay (a patch or the resource itself)',
    });
  }
  if (typeof env !== 'string' || !DNS_LABEL.test(env)) {
    throw new ManifestError(`${source}: metadata.env: expected an environment name (a DNS-1123 label), got ${describe(env)}`);
  }
  return { apiVersion, kind, name, env, labels: stringLabels(metadata.labels) };
}

/** Canonical bytes of a manifest and their sha256: the identity under which it is stored and promoted. */
export interface CanonicalManifest {
  /** emitYaml output: sorted keys, go-yaml v2 style, byte-for-byte stable. */
  yaml: string;
  /** Lowercase hex sha256 of `yaml` as UTF-8. */
  digest: string;
}

export function canonicalizeManifest(manifest: JsonObject, source: string): CanonicalManifest {
  const yaml = emitYaml(manifest);
  const bytes = Buffer.byteLength(yaml, 'utf8');
  if (bytes > MAX_MANIFEST_BYTES) {
    throw new ManifestError(`${source}: the manifest is ${bytes} bytes, more than the ${MAX_MANIFEST_BYTES}-byte limit (256 KiB)`, {
      hint: 'move large data (files, certificates) out of the manifest',
    });
  }
  return { yaml, digest: sha256Hex(yaml) };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function stringLabels(labels: JsonValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isJsonObject(labels)) return out;
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return String(value);
}
