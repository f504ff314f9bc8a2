import { isClusterScopedKind } from './cluster-scoped-kinds.js';
import { gvkEquals, gvkIsSelected, gvkString, parseGroupVersion } from '../fieldspecs/gvk.js';

// One implementation of kustomize's Gvk rules, shared with the field specs.
export { gvkEquals, gvkIsSelected, gvkString };
export const parseApiVersion = parseGroupVersion;

/** Group, version, kind of a resource; an empty string means "absent". */
export interface Gvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** A resource's identity as kustomize tracks it: gvk + name + namespace. */
export interface ResId extends Gvk {
  readonly name: string;
  readonly namespace: string;
}

export const DEFAULT_NAMESPACE = 'default';
/** The "namespace" cluster-scoped resources share for comparisons (kustomize's own sentinel). */
export const NOT_A_NAMESPACE = '_non_namespaceable_';

export function apiVersionOf(gvk: Gvk): string {
  return gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
}

export function isClusterScoped(gvk: Gvk): boolean {
  return isClusterScopedKind(apiVersionOf(gvk), gvk.kind);
}

export function effectiveNamespace(id: ResId): string {
  if (isClusterScoped(id)) return NOT_A_NAMESPACE;
  return id.namespace === '' ? DEFAULT_NAMESPACE : id.namespace;
}

export function gvknEquals(a: ResId, b: ResId): boolean {
  return a.name === b.name && gvkEquals(a, b);
}

export function namespaceEquals(a: ResId, b: ResId): boolean {
  return effectiveNamespace(a) === effectiveNamespace(b);
}

export function resIdEquals(a: ResId, b: ResId): boolean {
  return namespaceEquals(a, b) && gvknEquals(a, b);
}

/** `Kind.version.group/name.namespace`: kustomize's ResId.String(), which its error messages print. */
export function resIdString(id: ResId): string {
  return `${gvkString(id)}/${id.name || '[noName]'}.${id.namespace || '[noNs]'}`;
}

/**
 * The `%#v` rendering Go prints for a ResId in a few error messages (generator merge/replace);
 * the corpus checks substrings of it.
 */
export function resIdGoString(id: ResId): string {
  return `resid.ResId{Gvk:resid.Gvk{Group:"${id.group}", Version:"${id.version}", Kind:"${id.kind}", isClusterScoped:${isClusterScoped(id)}}, Name:"${id.name}", Namespace:"${id.namespace}"}`;
}

export function makeResId(gvk: Gvk, name: string, namespace: string): ResId {
  return { group: gvk.group, version: gvk.version, kind: gvk.kind, name, namespace };
}
