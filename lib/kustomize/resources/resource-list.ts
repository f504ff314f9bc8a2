import { KustomizeError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { parseLabelSelector } from './label-selector.js';
import { Resource } from './resource.js';
import {
  DEFAULT_NAMESPACE,
  effectiveNamespace,
  NOT_A_NAMESPACE,
  isClusterScoped,
  namespaceEquals,
  resIdEquals,
  resIdGoString,
  resIdString,
  type ResId,
} from './resource-id.js';

/**
 * What resIdEquals compares, as one string: effective namespace, name, group, version, kind
 * (apiVersion split like parseApiVersion, so `/v1` and `v1` are the same id, as there).
 */
function identityKey(resource: Resource): string {
  const object = resource.object;
  const apiVersion = stringValue(object?.apiVersion);
  const kind = stringValue(object?.kind);
  const metadata = isJsonObject(object?.metadata) ? object.metadata : undefined;
  const name = stringValue(metadata?.name);
  const namespace = stringValue(metadata?.namespace);
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  const scope = isClusterScoped({ group, version, kind }) ? NOT_A_NAMESPACE : namespace === '' ? DEFAULT_NAMESPACE : namespace;
  return `${scope}\n${name}\n${group}\n${version}\n${kind}`;
}

/** Resource's stringAt: a non-string scalar counts by its text, absent or null as "". */
function stringValue(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/** A patch/replacement target: every field optional; gvk, name and namespace are anchored regexes. */
export interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

/**
 * The ordered set of resources of a build (kustomize's ResMap). Order is input order until a
 * sort; ids must stay unique.
 */
export class ResourceList {
  private items: Resource[] = [];

  constructor(resources: Resource[] = []) {
    this.appendAll(resources);
  }

  get size(): number {
    return this.items.length;
  }

  resources(): Resource[] {
    return [...this.items];
  }

  clear(): void {
    this.items = [];
  }

  /** Replace the whole list, keeping only non-empty resources (after a `$patch: delete`). */
  reset(resources: Resource[]): void {
    this.items = [];
    this.add(resources, true);
  }

  append(resource: Resource): void {
    this.add([resource], false);
  }

  appendAll(other: ResourceList | Resource[]): void {
    this.add(Array.isArray(other) ? other : other.items, false);
  }

  /**
   * Appends, refusing an id already present. Transformers rename resources in place, so the
   * ids of the resources already here are read again for every call (once per call, not once
   * per added resource: a build appends thousands of resources a few at a time).
   */
  private add(resources: readonly Resource[], skipEmpty: boolean): void {
    const ids = new Set<string>();
    for (const existing of this.items) ids.add(identityKey(existing));
    for (const resource of resources) {
      if (skipEmpty && resource.isEmpty()) continue;
      const key = identityKey(resource);
      if (ids.has(key)) throw new KustomizeError(`may not add resource with an already registered id: ${resIdString(resource.curId())}`);
      ids.add(key);
      this.items.push(resource);
    }
  }

  remove(resource: Resource): void {
    this.items = this.items.filter((item) => item !== resource);
  }

  byCurrentId(matches: (id: ResId) => boolean): Resource[] {
    return this.items.filter((resource) => matches(resource.curId()));
  }

  /** Resources whose current or any previous id matches. */
  byAnyId(matches: (id: ResId) => boolean): Resource[] {
    return this.items.filter((resource) => !resource.isEmpty() && [...resource.previousIds(), resource.curId()].some(matches));
  }

  /** Generators: add, or merge into / replace an existing resource per the generator's behavior. */
  absorbAll(resources: Resource[]): void {
    for (const resource of resources) this.appendReplaceOrMerge(resource);
  }

  private appendReplaceOrMerge(resource: Resource): void {
    const id = resource.curId();
    const matches = this.byAnyId((candidate) => resIdEquals(candidate, id));
    if (matches.length === 0) {
      if (resource.behavior === 'merge' || resource.behavior === 'replace') {
        throw new KustomizeError(`id ${resIdGoString(id)} does not exist; cannot merge or replace`);
      }
      this.append(resource);
      return;
    }
    if (matches.length > 1) {
      throw new KustomizeError(`found multiple objects ${matches.map((m) => resIdString(m.curId())).join(' ')} that could accept merge of ${resIdString(id)}`);
    }
    const old = matches[0]!;
    if (resource.behavior === 'replace') {
      copyMergeMetadata(resource, old);
    } else if (resource.behavior === 'merge') {
      const origin = old.origin;
      copyMergeMetadata(resource, old);
      mergeStringMapField(resource, old, 'data');
      mergeStringMapField(resource, old, 'binaryData');
      if (origin) resource.origin = origin;
    } else {
      throw new KustomizeError(
        `id ${resIdGoString(id)} exists; can not use behavior: '${resource.behavior === 'unspecified' ? 'unspecified' : resource.behavior}', behavior must be merge or replace`,
      );
    }
    const index = this.items.indexOf(old);
    this.items[index] = resource;
  }

  /** Kustomize's ResMap.Select: regexes on original or current name/namespace, gvk, selectors. */
  select(selector: Selector): Resource[] {
    const group = selectorRegex(selector, 'group');
    const version = selectorRegex(selector, 'version');
    const kind = selectorRegex(selector, 'kind');
    const name = selectorRegex(selector, 'name');
    const namespace = selectorRegex(selector, 'namespace');
    const labels = selector.labelSelector ? parseLabelSelector(selector.labelSelector) : undefined;
    const annotations = selector.annotationSelector ? parseLabelSelector(selector.annotationSelector) : undefined;
    return this.items.filter((resource) => {
      const current = resource.curId();
      const original = resource.orgId();
      if (namespace && !namespace.test(effectiveNamespace(original)) && !namespace.test(effectiveNamespace(current))) return false;
      if (name && !name.test(original.name) && !name.test(current.name)) return false;
      const gvk = resource.gvk;
      if (group && !group.test(gvk.group)) return false;
      if (version && !version.test(gvk.version)) return false;
      if (kind && !kind.test(gvk.kind)) return false;
      if (labels && !labels(resource.labels)) return false;
      if (annotations && !annotations(resource.annotations)) return false;
      return true;
    });
  }

  /** Resources a referrer could name: cluster-scoped ones, same namespace, RoleBinding subjects' namespaces. */
  couldBeReferencedBy(referrer: Resource): Resource[] {
    const referrerId = referrer.curId();
    if (isClusterScoped(referrerId)) return this.resources();
    const roleBindingNamespaces = roleBindingSubjectNamespaces(referrer);
    return this.items.filter((candidate) => {
      const id = candidate.curId();
      return isClusterScoped(id) || namespaceEquals(id, referrerId) || roleBindingNamespaces.has(candidate.namespace);
    });
  }
}

function roleBindingSubjectNamespaces(resource: Resource): Set<string> {
  const namespaces = new Set<string>();
  if (resource.kind !== 'RoleBinding') return namespaces;
  const subjects = resource.obj.subjects;
  if (!Array.isArray(subjects)) return namespaces;
  for (const subject of subjects) {
    if (isJsonObject(subject) && subject.kind === 'ServiceAccount' && typeof subject.namespace === 'string') {
      namespaces.add(subject.namespace);
    }
  }
  return namespaces;
}

/**
 * Kustomize's CopyMergeMetaDataFieldsFrom for generator merge/replace: labels and annotations
 * merged (new wins), name and namespace and build bookkeeping from the existing resource; the
 * hash suffix survives only if both wanted it.
 */
function copyMergeMetadata(target: Resource, existing: Resource): void {
  target.labels = { ...existing.labels, ...target.labels };
  target.annotations = { ...existing.annotations, ...target.annotations };
  target.name = existing.name;
  target.namespace = existing.namespace;
  const needsHash = target.needsHashSuffix && existing.needsHashSuffix;
  // The origin is an ordinary annotation in kustomize: the newer one wins when it has one.
  const origin = target.origin ?? existing.origin;
  target.copyBookkeepingFrom(existing);
  target.needsHashSuffix = needsHash;
  target.origin = origin;
  target.refVarNames = [...existing.refVarNames];
}

function mergeStringMapField(target: Resource, existing: Resource, field: 'data' | 'binaryData'): void {
  const before = existing.obj[field];
  const after = target.obj[field];
  const merged: JsonObject = { ...(isJsonObject(before) ? before : {}), ...(isJsonObject(after) ? after : {}) };
  if (Object.keys(merged).length === 0) delete target.obj[field];
  else target.obj[field] = merged;
}

const SELECTOR_REGEX_FIELDS = ['group', 'version', 'kind', 'name', 'namespace'] as const;

/**
 * A selector field as kustomize matches it (an anchored regular expression). An invalid one is
 * the user's error: `target.name: error parsing regexp: ...: \`^(?:a(b)$\``, one line.
 */
export function selectorRegex(selector: Selector, field: (typeof SELECTOR_REGEX_FIELDS)[number]): RegExp | undefined {
  const pattern = selector[field];
  if (!pattern) return undefined;
  const source = `^(?:${pattern})$`;
  try {
    return new RegExp(source);
  } catch (error) {
    const reason = ((error as Error).message.split(': ').pop() ?? 'invalid regular expression').toLowerCase();
    throw new KustomizeError(`target.${field}: error parsing regexp: ${reason}: \`${source}\``);
  }
}

/** Compiles every pattern of a selector now, so a bad one is reported where it was written. */
export function validateSelector(selector: Selector | undefined, where: string): void {
  if (!selector) return;
  for (const field of SELECTOR_REGEX_FIELDS) {
    try {
      selectorRegex(selector, field);
    } catch (error) {
      throw new KustomizeError(`${where}.${(error as Error).message}`);
    }
  }
}
