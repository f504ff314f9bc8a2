import { isClusterScopedKind } from './cluster-scoped-kinds.js';

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

export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

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

export function gvkEquals(a: Gvk, b: Gvk): boolean {
  return a.group === b.group && a.version === b.version && a.kind === b.kind;
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

/** Kustomize's selector semantics: empty selector fields match anything. */
export function gvkIsSelected(gvk: Gvk, selector: Partial<Gvk> | undefined): boolean {
  if (!selector) return true;
  if (selector.group && gvk.group !== selector.group) return false;
  if (selector.version && gvk.version !== selector.version) return false;
  if (selector.kind && gvk.kind !== selector.kind) return false;
  return true;
}

/** `Kind.version.group`, with kustomize's placeholders for empty parts (used in error messages). */
export function gvkString(gvk: Gvk): string {
  return [gvk.kind || '[noKind]', gvk.version || '[noVer]', gvk.group || '[noGrp]'].join('.');
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
