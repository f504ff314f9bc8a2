import { KustomizeError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { MergeSchemaLookup, MergeSchemaNode } from './strategic-merge.js';

/**
 * A kustomization's `openapi: { path: schema.json }`: an OpenAPI (swagger 2) document whose
 * definitions carry x-kubernetes-group-version-kind and patch strategies / merge keys. As in
 * kustomize, it replaces the built-in Kubernetes schema for the whole build (kinds it does not
 * define have no schema, so their lists are replaced, not merged).
 */
export function customSchemaLookup(document: JsonValue | undefined, fileName: string): MergeSchemaLookup {
  if (!isJsonObject(document) || !isJsonObject(document.definitions)) {
    throw new KustomizeError(`${fileName}: an OpenAPI schema needs a "definitions" object`);
  }
  const definitions = document.definitions;
  const built = new Map<string, MergeSchemaNode>();
  const byType = new Map<string, MergeSchemaNode>();

  const definition = (name: string): MergeSchemaNode => {
    let node = built.get(name);
    if (node !== undefined) return node;
    const raw = definitions[name];
    const target: Mutable = {};
    built.set(name, target as MergeSchemaNode);
    if (isJsonObject(raw)) fill(target, raw);
    node = target as MergeSchemaNode;
    return node;
  };

  const nodeOf = (raw: JsonValue | undefined): MergeSchemaNode => {
    if (!isJsonObject(raw)) return {};
    const ref = raw.$ref;
    if (typeof ref === 'string') {
      const prefix = '#/definitions/';
      return ref.startsWith(prefix) ? definition(ref.slice(prefix.length)) : {};
    }
    const target: Mutable = {};
    fill(target, raw);
    return target as MergeSchemaNode;
  };

  function fill(target: Mutable, raw: JsonObject): void {
    if (isJsonObject(raw.properties)) {
      const properties: Record<string, MergeSchemaNode> = {};
      for (const [key, value] of Object.entries(raw.properties)) properties[key] = nodeOf(value);
      target.p = properties;
    }
    if (isJsonObject(raw.additionalProperties)) target.ap = nodeOf(raw.additionalProperties);
    if (isJsonObject(raw.items)) target.it = nodeOf(raw.items);
    const strategy = raw['x-kubernetes-patch-strategy'];
    if (typeof strategy === 'string') target.ps = strategy;
    const mapKeys = raw['x-kubernetes-list-map-keys'];
    const mergeKey = raw['x-kubernetes-patch-merge-key'];
    if (Array.isArray(mapKeys) && mapKeys.length > 0) target.mk = mapKeys.map(String);
    else if (typeof mergeKey === 'string') target.mk = [mergeKey];
  }

  for (const name of Object.keys(definitions)) {
    const raw = definitions[name];
    if (!isJsonObject(raw) || !Array.isArray(raw['x-kubernetes-group-version-kind'])) continue;
    for (const gvk of raw['x-kubernetes-group-version-kind']) {
      if (!isJsonObject(gvk)) continue;
      const group = typeof gvk.group === 'string' ? gvk.group : '';
      const version = typeof gvk.version === 'string' ? gvk.version : '';
      const kind = typeof gvk.kind === 'string' ? gvk.kind : '';
      byType.set(`${group === '' ? version : `${group}/${version}`}/${kind}`, definition(name));
    }
  }
  return (apiVersion, kind) => byType.get(`${apiVersion}/${kind}`);
}

interface Mutable {
  p?: Record<string, MergeSchemaNode>;
  ap?: MergeSchemaNode;
  it?: MergeSchemaNode;
  ps?: string;
  mk?: string[];
}
