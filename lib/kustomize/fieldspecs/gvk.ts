import { isJsonObject, type JsonObject } from '../json.js';
import type { Gvk } from './types.js';

/** The identity of a resource as far as field specs care: its apiVersion and kind. */
export interface TypeMeta {
  apiVersion?: string;
  kind?: string;
}

/**
 * Splits an apiVersion into group and version the way kustomize does: everything before the
 * first `/` is the group; without a `/` the whole string is the version ("v1" has group "").
 */
export function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  if (slash === -1) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function gvkOfTypeMeta(meta: TypeMeta): Required<Gvk> {
  const { group, version } = parseGroupVersion(meta.apiVersion ?? '');
  return { group, version, kind: meta.kind ?? '' };
}

/** apiVersion/kind of a resource tree; non-string values count as absent, as in kyaml. */
export function typeMetaOf(obj: JsonObject): TypeMeta {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  return { apiVersion, kind };
}

/**
 * kustomize's Gvk.IsSelected: does `selector` select `gvk`? Empty selector fields are wildcards;
 * a missing selector selects everything.
 */
export function gvkIsSelected(gvk: Gvk, selector: Gvk | undefined): boolean {
  if (!selector) return true;
  if (selector.group && (gvk.group ?? '') !== selector.group) return false;
  if (selector.version && (gvk.version ?? '') !== selector.version) return false;
  if (selector.kind && (gvk.kind ?? '') !== selector.kind) return false;
  return true;
}

/**
 * Does a field spec apply to an object with this apiVersion/kind? (api/filters/fieldspec
 * isMatchGVK.) Note `group: v1` does NOT match `apiVersion: v1` — core objects have group "".
 */
export function fieldSpecMatches(spec: Gvk, meta: TypeMeta): boolean {
  return gvkIsSelected(gvkOfTypeMeta(meta), spec);
}

export function gvkEquals(a: Gvk, b: Gvk): boolean {
  return (a.group ?? '') === (b.group ?? '') && (a.version ?? '') === (b.version ?? '') && (a.kind ?? '') === (b.kind ?? '');
}

/** kind.version.group with kustomize's placeholders, e.g. `Deployment.v1.apps`, `Bar.[noVer].[noGrp]`. */
export function gvkString(gvk: Gvk): string {
  return [gvk.kind || '[noKind]', gvk.version || '[noVer]', gvk.group || '[noGrp]'].join('.');
}

/** kustomize's ResId.String(): `Deployment.v1.apps/name.namespace`, `[noName]`/`[noNs]` when empty. */
export function resIdString(obj: JsonObject): string {
  const metadata = isJsonObject(obj.metadata) ? obj.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
  return `${gvkString(gvkOfTypeMeta(typeMetaOf(obj)))}/${name || '[noName]'}.${namespace || '[noNs]'}`;
}

// Kinds kustomize orders first/last when sorting GVKs (resid orderFirst/orderLast). Used here only
// for the sort order of merged transformer configs, which kustomize sorts by Gvk.IsLessThan.
const ORDER_FIRST = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
const TYPE_ORDER = new Map<string, number>([
  ...ORDER_FIRST.map((kind, index) => [kind, index - ORDER_FIRST.length] as [string, number]),
  ...ORDER_LAST.map((kind, index) => [kind, index + 1] as [string, number]),
]);

function stableSortString(gvk: Gvk): string {
  return [gvk.group || '~G', gvk.version || '~V', gvk.kind || '~K'].join('_');
}

/**
 * Sorts by compareGvk, working out each entry's sort key once (compareGvk builds two strings
 * per comparison). Stable, as Array.prototype.sort.
 */
export function sortByGvk<T>(items: T[], gvkOf: (item: T) => Gvk): void {
  if (items.length < 2) return;
  const keyed = items.map((item) => {
    const gvk = gvkOf(item);
    return { item, rank: TYPE_ORDER.get(gvk.kind ?? '') ?? 0, key: stableSortString(gvk) };
  });
  keyed.sort((x, y) => (x.rank !== y.rank ? x.rank - y.rank : x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) items[i] = keyed[i]!.item;
}

/** kustomize's Gvk.IsLessThan, as a comparator (<0, 0, >0). Byte-wise string comparison, like Go. */
export function compareGvk(a: Gvk, b: Gvk): number {
  const ia = TYPE_ORDER.get(a.kind ?? '') ?? 0;
  const ib = TYPE_ORDER.get(b.kind ?? '') ?? 0;
  if (ia !== ib) return ia - ib;
  const sa = stableSortString(a);
  const sb = stableSortString(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
