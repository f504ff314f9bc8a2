import { KustomizeError } from '../errors.js';
import type { SortOptionsConfig } from '../kustomization.js';
import { gvkEquals, gvkString, type Gvk, type ResId } from '../resources/resource-id.js';
import type { ResourceList } from '../resources/resource-list.js';

const DEFAULT_ORDER_FIRST = [
  'Namespace', 'ResourceQuota', 'StorageClass', 'CustomResourceDefinition', 'ServiceAccount', 'PodSecurityPolicy', 'Role',
  'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Endpoints', 'Service', 'LimitRange',
  'PriorityClass', 'PersistentVolume', 'PersistentVolumeClaim', 'Deployment', 'StatefulSet', 'CronJob', 'PodDisruptionBudget',
];
const DEFAULT_ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

/** Kustomize's SortOrderTransformer: `fifo` keeps input order; `legacy` sorts by kind rank, then gvk, namespace, name. */
export function sortResources(resources: ResourceList, options: SortOptionsConfig): void {
  const order = options.order;
  if (order !== 'fifo' && order !== 'legacy') throw new KustomizeError("the field 'sortOptions.order' must be one of [fifo, legacy]");
  if (order === 'fifo') {
    if (options.legacySortOptions) {
      throw new KustomizeError("the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'");
    }
    return;
  }
  const first = options.legacySortOptions?.orderFirst ?? DEFAULT_ORDER_FIRST;
  const last = options.legacySortOptions?.orderLast ?? DEFAULT_ORDER_LAST;
  const rank = new Map<string, number>();
  first.forEach((kind, index) => rank.set(kind, -first.length + index));
  last.forEach((kind, index) => rank.set(kind, 1 + index));
  const keyed = resources.resources().map((resource) => ({ resource, id: resource.curId() }));
  keyed.sort((a, b) => compareIds(a.id, b.id, rank));
  resources.clear();
  resources.appendAll(keyed.map(({ resource }) => resource));
}

function compareIds(a: ResId, b: ResId, rank: Map<string, number>): number {
  if (!gvkEquals(a, b)) return gvkLess(a, b, rank) ? -1 : 1;
  return compareStrings(idSortString(a), idSortString(b));
}

function gvkLess(a: Gvk, b: Gvk, rank: Map<string, number>): boolean {
  const rankA = rank.get(a.kind) ?? 0;
  const rankB = rank.get(b.kind) ?? 0;
  if (rankA !== rankB) return rankA < rankB;
  // Kustomize's quirk: Namespaces with an empty group sort after grouped ones.
  if (a.kind === 'Namespace' && b.kind === 'Namespace' && (a.group === '' || b.group === '')) {
    return gvkSortString(a) > gvkSortString(b);
  }
  return gvkSortString(a) < gvkSortString(b);
}

function gvkSortString(gvk: Gvk): string {
  return [gvk.group || '~G', gvk.version || '~V', gvk.kind || '~K'].join('_');
}

function idSortString(id: ResId): string {
  return [gvkString(id), id.namespace || '~X', id.name || '~N'].join('|');
}

/** Go compares strings bytewise; JS compares UTF-16 units. Equal for the ASCII ids kustomize sees. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
