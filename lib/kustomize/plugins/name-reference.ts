import { KustomizeError } from '../errors.js';
import type { FieldSpec, NameBackReferences } from '../fieldspecs/types.js';
import { resIdString as objectIdString } from '../fieldspecs/gvk.js';
import { walkFieldPath } from '../fieldspecs/walk.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { Resource } from '../resources/resource.js';
import { effectiveNamespace, gvkIsSelected, isClusterScoped, NOT_A_NAMESPACE, resIdString, type Gvk } from '../resources/resource-id.js';
import type { ResourceList } from '../resources/resource-list.js';
import { emitYaml } from '../yaml/emit.js';

/**
 * kustomize's name-reference transformer (api/internal/accumulator/namereferencetransformer.go
 * with api/filters/nameref): after renames (prefix/suffix, hash, namespace...), every field that
 * names another resource by one of its previous names is rewritten to that resource's current
 * name (and, for `{name, namespace}` maps, its namespace).
 *
 * Only resources that were renamed carry previous ids, so only those can be referral targets —
 * exactly as in kustomize, where an un-renamed resource has no "previousNames" annotation.
 */
export function fixNameReferences(resources: ResourceList, backReferences: readonly NameBackReferences[]): void {
  const all = resources.resources().filter((resource) => resource.object !== null);
  // Referrers are chosen by their ORIGINAL gvk (kustomize caches OrgId before any fix-up).
  const orgIds = all.map((resource) => resource.orgId());
  for (const [index, referrer] of all.entries()) {
    const filters: { spec: FieldSpec; target: Gvk }[] = [];
    for (const backReference of backReferences) {
      for (const spec of backReference.fieldSpecs) {
        if (gvkIsSelected(orgIds[index]!, spec)) filters.push({ spec, target: fullGvk(backReference.gvk) });
      }
    }
    if (filters.length === 0) continue;
    // The candidate set is computed once per referrer, before any of its fields change.
    const candidates = couldBeReferencedBy(resources, referrer);
    for (const { spec, target } of filters) {
      new ReferenceFixer(referrer, spec, target, candidates).run();
    }
  }
}

function fullGvk(gvk: { group?: string; version?: string; kind?: string }): Gvk {
  return { group: gvk.group ?? '', version: gvk.version ?? '', kind: gvk.kind ?? '' };
}

/** ResourceList.couldBeReferencedBy plus kustomize's refusal of a non-string subject namespace. */
function couldBeReferencedBy(resources: ResourceList, referrer: Resource): Resource[] {
  if (referrer.kind === 'RoleBinding' && !isClusterScoped(referrer.curId())) {
    const subjects = referrer.obj.subjects;
    if (Array.isArray(subjects)) {
      for (const subject of subjects) {
        if (isJsonObject(subject) && 'namespace' in subject && subject.kind === 'ServiceAccount' && typeof subject.namespace !== 'string') {
          throw new KustomizeError(`Invalid Input: namespace is blank for resource "${resIdString(referrer.curId())}"\n`);
        }
      }
    }
  }
  return resources.couldBeReferencedBy(referrer).filter((resource) => resource.object !== null);
}

type Sieve = (resource: Resource) => boolean;
const acceptAll: Sieve = () => true;

class ReferenceFixer {
  constructor(
    private readonly referrer: Resource,
    private readonly spec: FieldSpec,
    private readonly target: Gvk,
    private readonly candidates: Resource[],
  ) {}

  run(): void {
    try {
      try {
        // The spec's gvk was already matched against the referrer's original id; kustomize then
        // replaces it by the referrer's current gvk, so the walk itself never filters.
        walkFieldPath(this.referrer.obj, this.spec.path, undefined, (field) => {
          const replaced = this.set(field.value);
          if (replaced !== undefined) field.set(replaced);
        });
      } catch (error) {
        throw new KustomizeError(`considering field '${this.spec.path}' of object ${objectIdString(this.referrer.obj)}: ${messageOf(error)}`, {
          cause: error,
        });
      }
    } catch (error) {
      throw new KustomizeError(
        `updating name reference in '${this.spec.path}' field of '${resIdString(this.referrer.curId())}': ${messageOf(error)}`,
        { cause: error },
      );
    }
  }

  /** Returns a replacement value for a scalar, or undefined when the node was edited in place / untouched. */
  private set(value: JsonValue): JsonValue | undefined {
    if (value === null) return undefined;
    if (Array.isArray(value)) {
      // A sequence of names (Role rules/resourceNames) or of {name, namespace} maps (subjects).
      for (const [index, element] of value.entries()) {
        if (element === null) continue;
        if (Array.isArray(element)) throw new Error(`${JSON.stringify(element)} is expected to be either a string or a map of string`);
        if (isJsonObject(element)) this.setMapping(element);
        else {
          const replaced = this.setScalar(element);
          if (replaced !== undefined) value[index] = replaced;
        }
      }
      return undefined;
    }
    if (isJsonObject(value)) {
      this.setMapping(value);
      return undefined;
    }
    return this.setScalar(value);
  }

  private setScalar(value: string | number | bigint | boolean): string | undefined {
    const oldName = String(value);
    const referral = this.selectReferral(oldName, this.candidates, allNamesAreTheSame);
    if (referral === undefined) return undefined;
    referral.referencedBy.push(this.referrer.curId());
    if (referral.name === oldName) return undefined;
    return referral.name;
  }

  /**
   * The field leads to a map (e.g. a RoleBinding subject): its `name` picks the referral, its
   * optional `namespace` narrows the candidates, and both are copied from the referral.
   */
  private setMapping(node: JsonObject): void {
    if (!Object.hasOwn(node, 'name')) throw new Error("path config error; no 'name' field in node");
    const oldName = scalarText(node.name!);
    const candidates = Object.hasOwn(node, 'namespace') ? this.candidatesInNamespace(scalarText(node.namespace!)) : this.candidates;
    const referral = this.selectReferral(oldName, candidates, allNamesAndNamespacesAreTheSame);
    if (referral === undefined) return;
    referral.referencedBy.push(this.referrer.curId());
    const namespace = referral.namespace;
    if (referral.name === oldName && namespace === '') return;
    node.name = referral.name;
    // An empty namespace is a wildcard here, not "default": never write it.
    if (namespace !== '') node.namespace = namespace;
  }

  /** Candidates grouped by original effective namespace, else by current one (kustomize's order). */
  private candidatesInNamespace(namespace: string): Resource[] {
    if (namespace === NOT_A_NAMESPACE) return [];
    const byOriginal = this.candidates.filter((resource) => effectiveNamespace(resource.orgId()) === namespace);
    if (byOriginal.length > 0) return byOriginal;
    return this.candidates.filter((resource) => effectiveNamespace(resource.curId()) === namespace);
  }

  private selectReferral(oldName: string, candidates: Resource[], identical: (resources: Resource[]) => boolean): Resource | undefined {
    let list = candidates.filter((resource) => resource.previousIds().some((id) => id.name === oldName));
    list = list.filter(previousIdSelectedByGvk(this.target));
    list = list.filter(this.roleRefSieve());
    list = list.filter(this.sameCurrentNamespaceSieve());
    if (list.length === 1) return list[0];
    list = list.filter((resource) => prefixesSuffixesEqual(resource, this.referrer, true));
    if (list.length > 1) list = list.filter((resource) => prefixesSuffixesEqual(resource, this.referrer, false));
    if (list.length === 1) return list[0];
    if (list.length === 0) return undefined;
    if (identical(list)) return list[0];
    const ids = list.map((resource) => resIdString(resource.curId())).join(', ');
    throw new Error(`found multiple possible referrals: ${ids}\n${this.failureDetails(list)}`);
  }

  private failureDetails(list: Resource[]): string {
    let text = `\n**** Too many possible referral targets to referrer:\n${emitYaml(this.referrer.obj)}\n`;
    list.forEach((resource, index) => {
      text += `--- possible referral ${index}:\n${emitYaml(resource.obj)}\n`;
    });
    return text;
  }

  /** For `.../roleRef/name`, the roleRef's apiGroup and kind must match the referral too. */
  private roleRefSieve(): Sieve {
    if (!this.spec.path.endsWith('roleRef/name')) return acceptAll;
    const roleRef = this.referrer.obj.roleRef;
    if (roleRef === undefined || !isJsonObject(roleRef)) return acceptAll;
    if (!Object.hasOwn(roleRef, 'apiGroup') || !Object.hasOwn(roleRef, 'kind')) return acceptAll;
    return previousIdSelectedByGvk({ group: scalarText(roleRef.apiGroup!), version: '', kind: scalarText(roleRef.kind!) });
  }

  private sameCurrentNamespaceSieve(): Sieve {
    const referrerId = this.referrer.curId();
    if (isClusterScoped(referrerId)) return acceptAll;
    return (resource) => {
      const id = resource.curId();
      if (isClusterScoped(id)) return true;
      // A RoleBinding in another namespace may name a ServiceAccount.
      if (resource.kind === 'ServiceAccount') return true;
      return effectiveNamespace(referrerId) === effectiveNamespace(id);
    };
  }
}

function previousIdSelectedByGvk(gvk: Gvk): Sieve {
  return (resource) => resource.previousIds().some((id) => gvkIsSelected(id, gvk));
}

/**
 * kustomize's PrefixesSuffixesEquals(candidate, referrer): the prefix (suffix) lists must end the
 * same way; with allowEmpty an empty list on either side matches anything.
 */
export function prefixesSuffixesEqual(candidate: Resource, referrer: Resource, allowEmpty: boolean): boolean {
  const prefixesOk =
    (allowEmpty && (candidate.namePrefixes.length === 0 || referrer.namePrefixes.length === 0)) ||
    sameEndingSubSlice(candidate.namePrefixes, referrer.namePrefixes);
  const suffixesOk =
    (allowEmpty && (candidate.nameSuffixes.length === 0 || referrer.nameSuffixes.length === 0)) ||
    sameEndingSubSlice(candidate.nameSuffixes, referrer.nameSuffixes);
  return prefixesOk && suffixesOk;
}

/** True when the shorter list is a tail of the longer one; an empty list only matches an empty one. */
export function sameEndingSubSlice(a: readonly string[], b: readonly string[]): boolean {
  const [shortest, longest] = a.length > b.length ? [b, a] : [a, b];
  const diff = longest.length - shortest.length;
  if (shortest.length === 0) return diff === 0;
  for (let index = shortest.length - 1; index >= 0; index--) {
    if (longest[index + diff] !== shortest[index]) return false;
  }
  return true;
}

function allNamesAreTheSame(resources: Resource[]): boolean {
  return resources.every((resource) => resource.name === resources[0]!.name);
}

function allNamesAndNamespacesAreTheSame(resources: Resource[]): boolean {
  return resources.every((resource) => resource.name === resources[0]!.name && resource.namespace === resources[0]!.namespace);
}

/** A yaml node's Value: scalar text, "" for maps and sequences. */
function scalarText(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return '';
  return String(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
