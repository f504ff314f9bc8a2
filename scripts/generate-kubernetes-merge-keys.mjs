#!/usr/bin/env node
// Generates lib/kustomize/patch/kubernetes-merge-keys.generated.ts from the Kubernetes v1.21.2
// OpenAPI schema that kustomize embeds in kyaml
// (kyaml/openapi/kubernetesapi/data/kubernetes-openapi-union-v1.21.2.bundle-v1.json.gz, itself
// compiled by kyaml from kyaml/openapi/kubernetesapi/v1_21_2/swagger.pb.gz).
//
// Dev-time only. Usage:
//   node scripts/generate-kubernetes-merge-keys.mjs [path-to-bundle.json(.gz) | path-to-kustomize-git-dir]
// Default source: the mirror fetched under /work/.mirror/kubernetes-sigs+kustomize/repo.
//
// What is kept: only what kyaml's merge walker consults (openapi.ResourceSchema.Field, .Elements,
// .PatchStrategyAndKeyList), pruned to the sub-trees that lead to a list whose patch strategy
// contains "merge" (the only lists kyaml merges element-wise). Schemas that exist but lead to no
// such list are kept as an empty node `{}` only where the distinction "schema present" vs "no
// schema" can change kyaml's behaviour (a schema-less map that carries apiVersion+kind makes kyaml
// look the schema up from those fields): objects with no properties (RawExtension-like) and
// objects that declare both `apiVersion` and `kind`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLE_PATH = 'kyaml/openapi/kubernetesapi/data/kubernetes-openapi-union-v1.21.2.bundle-v1.json.gz';
const DEFAULT_MIRROR = '/work/.mirror/kubernetes-sigs+kustomize/repo';
const here = dirname(fileURLToPath(import.meta.url));
const outFile = join(here, '..', 'lib', 'kustomize', 'patch', 'kubernetes-merge-keys.generated.ts');

function loadBundle(source) {
  let raw;
  if (existsSync(source) && statSync(source).isDirectory()) {
    // A bare git dir (the fetched mirror has no work tree).
    raw = execFileSync('git', ['--git-dir', source, 'show', `HEAD:${BUNDLE_PATH}`], { maxBuffer: 1 << 28 });
  } else {
    raw = readFileSync(source);
  }
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
  return JSON.parse(raw.toString('utf8'));
}

const bundle = loadBundle(process.argv[2] ?? DEFAULT_MIRROR);
const defs = bundle.definitions;
const DEF_PREFIX = '#/definitions/';

function refName(schema) {
  const ref = schema?.$ref;
  if (!ref) return undefined;
  if (!ref.startsWith(DEF_PREFIX)) throw new Error(`unexpected $ref ${ref}`);
  return ref.slice(DEF_PREFIX.length);
}

/** kyaml resolves $ref chains (and drops the referring schema's own extensions) in Field/Elements. */
function resolve(schema) {
  let s = schema;
  const seen = new Set();
  for (let name = refName(s); name !== undefined; name = refName(s)) {
    if (seen.has(name)) throw new Error(`ref cycle at ${name}`);
    seen.add(name);
    s = defs[name];
    if (!s) throw new Error(`dangling ref ${name}`);
  }
  return s;
}

function isMergeStrategy(schema) {
  const ps = schema['x-kubernetes-patch-strategy'];
  return typeof ps === 'string' && ps.split(',').includes('merge');
}

/** Mirrors openapi.ResourceSchema.PatchStrategyAndKeyList: list-map-keys win over the merge key. */
function mergeKeys(schema) {
  if (Array.isArray(schema['x-kubernetes-list-map-keys'])) return schema['x-kubernetes-list-map-keys'];
  const mk = schema['x-kubernetes-patch-merge-key'];
  return typeof mk === 'string' ? [mk] : [];
}

function isArraySchema(schema) {
  const t = schema.type;
  return (t === 'array') || (Array.isArray(t) && t.length === 1 && t[0] === 'array');
}

function keepAsPresenceMarker(schema) {
  const props = schema.properties ?? {};
  if (schema.type === 'object' && Object.keys(props).length === 0 && !schema.additionalProperties) return true;
  return 'apiVersion' in props && 'kind' in props;
}

// Compact node: { p: properties, ap: additionalProperties value, it: items, ps: strategy, mk: keys }.
// A string stands for a named definition (emitted once in DEFINITIONS).
const compiledDefs = new Map(); // name -> node | null (null = nothing relevant)
const inProgress = new Set();

function compileNamed(name) {
  if (compiledDefs.has(name)) return compiledDefs.get(name) === null ? null : name;
  if (inProgress.has(name)) return name; // recursive definition: assume relevant, fixed up below
  inProgress.add(name);
  const node = compileSchema(defs[name], true);
  inProgress.delete(name);
  compiledDefs.set(name, node);
  return node === null ? null : name;
}

/**
 * Returns the compact node for a (property) schema, or null if nothing below it matters.
 * `asField` = this schema was reached through Field/Elements, so its own extensions count.
 */
function compileSchema(schema, asField) {
  // Extensions on the referring schema are only visible when it has no $ref (kyaml replaces the
  // schema by the resolved definition).
  const ref = refName(schema);
  if (ref !== undefined) {
    const target = resolve(schema);
    const named = compileNamed(refNameFinal(schema));
    if (named !== null) return named;
    return keepAsPresenceMarker(target) ? {} : null;
  }
  const node = {};
  let relevant = false;
  if (asField && isMergeStrategy(schema)) {
    node.ps = schema['x-kubernetes-patch-strategy'];
    const keys = mergeKeys(schema);
    if (keys.length > 0) node.mk = keys;
    if (isArraySchema(schema) && schema.items) {
      const items = compileSchema(schema.items, true);
      if (items !== null) node.it = items;
      else if (schema.items) node.it = {};
    }
    relevant = true;
  }
  if (schema.properties) {
    const p = {};
    for (const key of Object.keys(schema.properties).sort()) {
      const c = compileSchema(schema.properties[key], true);
      if (c !== null) p[key] = c;
    }
    if (Object.keys(p).length > 0) {
      node.p = p;
      relevant = true;
    }
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const c = compileSchema(schema.additionalProperties, true);
    if (c !== null) {
      node.ap = c;
      relevant = true;
    }
  }
  if (relevant) return node;
  return keepAsPresenceMarker(schema) ? {} : null;
}

function refNameFinal(schema) {
  // name of the last definition in a $ref chain
  let s = schema;
  let name = refName(s);
  for (let next = name; next !== undefined; next = refName(defs[next])) name = next;
  return name;
}

// Resource index, as kyaml builds it at runtime (openapi.AddDefinitions): every definition's
// x-kubernetes-group-version-kind entries.
const resources = {};
for (const name of Object.keys(defs).sort()) {
  const gvks = defs[name]['x-kubernetes-group-version-kind'];
  if (!Array.isArray(gvks)) continue;
  for (const gvk of gvks) {
    const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
    const key = `${apiVersion}/${gvk.kind}`;
    if (resources[key] !== undefined && resources[key] !== name) {
      throw new Error(`GVK ${key} maps to both ${resources[key]} and ${name}`);
    }
    resources[key] = name;
  }
}

const resourceIndex = {};
for (const key of Object.keys(resources).sort()) {
  const compiled = compileNamed(resources[key]);
  // A resource whose schema has no merge list still has a schema (lists are replaced, and
  // nested apiVersion/kind are not consulted at the root). Keep it, pointing at an empty node.
  resourceIndex[key] = compiled ?? '';
}

// Drop definitions that turned out irrelevant but were referenced while recursing.
const usedDefs = {};
function collect(node) {
  if (typeof node === 'string') {
    if (node === '' || node in usedDefs) return;
    const d = compiledDefs.get(node);
    usedDefs[node] = d ?? {};
    collect(usedDefs[node]);
    return;
  }
  if (node.p) for (const v of Object.values(node.p)) collect(v);
  if (node.ap) collect(node.ap);
  if (node.it) collect(node.it);
}
for (const v of Object.values(resourceIndex)) collect(v);

function shortName(name) {
  return name.replace(/^io\.k8s\./, '');
}
function rename(node) {
  if (typeof node === 'string') return node === '' ? '' : shortName(node);
  const out = {};
  if (node.ps !== undefined) out.ps = node.ps;
  if (node.mk !== undefined) out.mk = node.mk;
  if (node.it !== undefined) out.it = rename(node.it);
  if (node.p) {
    out.p = {};
    for (const [k, v] of Object.entries(node.p)) out.p[k] = rename(v);
  }
  if (node.ap !== undefined) out.ap = rename(node.ap);
  return out;
}

const defsOut = {};
for (const name of Object.keys(usedDefs).sort()) defsOut[shortName(name)] = rename(usedDefs[name]);
const resOut = {};
for (const [k, v] of Object.entries(resourceIndex)) resOut[k] = rename(v);

function lines(obj) {
  const entries = Object.entries(obj).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  return `{\n${entries.join('\n')}\n}`;
}

const header = `// GENERATED FILE - do not edit. Regenerate with: node scripts/generate-kubernetes-merge-keys.mjs
//
// Derived from the Kubernetes v${bundle.coverage.ceiling.replace(/^v/, '')} OpenAPI (swagger) schema, as embedded by kustomize's
// kyaml (sigs.k8s.io/kustomize/kyaml/openapi, source sha256 ${bundle.sources.map((s) => s.sha256).join(', ')}).
// The schema is part of the Kubernetes project, Copyright The Kubernetes Authors,
// licensed under the Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).
// Modified: reduced to the structure kyaml's strategic-merge walker consults (patch strategy,
// merge keys, and the fields/items/additionalProperties leading to them).
//
// Node encoding (see strategic-merge.ts): a string names an entry of KUBERNETES_SCHEMA_DEFINITIONS
// ('' = schema present, nothing relevant below); otherwise
//   p  = properties (field name -> node)          ap = additionalProperties value node
//   it = array items node                          ps = x-kubernetes-patch-strategy
//   mk = merge keys (x-kubernetes-list-map-keys if present, else [x-kubernetes-patch-merge-key])
// A node with no p/ap means: schema present, but no field below it has one.
`;

const body = `${header}
export interface MergeSchemaNode {
  readonly p?: Readonly<Record<string, MergeSchemaRef>>;
  readonly ap?: MergeSchemaRef;
  readonly it?: MergeSchemaRef;
  readonly ps?: string;
  readonly mk?: readonly string[];
}
export type MergeSchemaRef = MergeSchemaNode | string;

/** "apiVersion/kind" (e.g. "apps/v1/Deployment", "v1/Pod") -> root schema node. */
export const KUBERNETES_RESOURCE_SCHEMAS: Readonly<Record<string, MergeSchemaRef>> = ${lines(resOut)};

export const KUBERNETES_SCHEMA_DEFINITIONS: Readonly<Record<string, MergeSchemaNode>> = ${lines(defsOut)};
`;
writeFileSync(outFile, body);
console.log(`wrote ${outFile}: ${Object.keys(resOut).length} resource types, ${Object.keys(defsOut).length} definitions, ${body.length} bytes`);
