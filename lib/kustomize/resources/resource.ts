import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { cloneJson } from '../parse-cache.js';
import type { Origin } from './origin.js';
import { makeResId, parseApiVersion, effectiveNamespace, type Gvk, type ResId } from './resource-id.js';

export type GenerationBehavior = 'create' | 'merge' | 'replace' | 'unspecified';

/**
 * One resource during a build: its value tree plus the bookkeeping kustomize keeps in
 * `internal.config.kubernetes.io/*` build annotations. We keep that bookkeeping in fields
 * instead, so it can never leak into output or be hit by a patch.
 */
export class Resource {
  /** null once a `$patch: delete` removed the resource. */
  object: JsonObject | null;
  /** Names, effective namespaces and kinds this resource had before renames, oldest first. */
  previousNames: string[] = [];
  previousNamespaces: string[] = [];
  previousKinds: string[] = [];
  namePrefixes: string[] = [];
  nameSuffixes: string[] = [];
  /** Resources whose references to this one were rewritten (kustomize's refBy). */
  referencedBy: ResId[] = [];
  behavior: GenerationBehavior = 'unspecified';
  needsHashSuffix = false;
  allowNameChange = false;
  allowKindChange = false;
  /** Names of `vars` that read a field of this resource. */
  refVarNames: string[] = [];
  /** Where it came from and what transformed it, for `buildMetadata`. */
  origin?: Origin;
  transformations?: Origin[];

  constructor(object: JsonObject | null) {
    this.object = object;
  }

  get obj(): JsonObject {
    if (this.object === null) throw new Error('resource was deleted');
    return this.object;
  }

  isEmpty(): boolean {
    return this.object === null || Object.keys(this.object).length === 0;
  }

  deepCopy(): Resource {
    const copy = new Resource(this.object === null ? null : cloneJson(this.object));
    copy.copyBookkeepingFrom(this);
    copy.refVarNames = [...this.refVarNames];
    return copy;
  }

  copyBookkeepingFrom(other: Resource): void {
    this.previousNames = [...other.previousNames];
    this.previousNamespaces = [...other.previousNamespaces];
    this.previousKinds = [...other.previousKinds];
    this.namePrefixes = [...other.namePrefixes];
    this.nameSuffixes = [...other.nameSuffixes];
    this.referencedBy = [...other.referencedBy];
    this.behavior = other.behavior;
    this.needsHashSuffix = other.needsHashSuffix;
    this.allowNameChange = other.allowNameChange;
    this.allowKindChange = other.allowKindChange;
    this.origin = other.origin === undefined ? undefined : structuredClone(other.origin);
    this.transformations = other.transformations === undefined ? undefined : structuredClone(other.transformations);
  }

  // --- typed accessors -------------------------------------------------------------------------

  get apiVersion(): string {
    return stringAt(this.object, 'apiVersion');
  }

  set apiVersion(value: string) {
    this.obj.apiVersion = value;
  }

  get kind(): string {
    return stringAt(this.object, 'kind');
  }

  set kind(value: string) {
    this.obj.kind = value;
  }

  /**
   * Read for every id comparison of a build (thousands of times per resource): the last answer
   * is kept with the fields it came from, and given again while they are unchanged. Callers
   * never modify it (Gvk and ResId are readonly).
   */
  get gvk(): Gvk {
    const apiVersion = this.apiVersion;
    const kind = this.kind;
    const memo = this.gvkMemo;
    if (memo !== undefined && memo.apiVersion === apiVersion && memo.kind === kind) return memo.gvk;
    const gvk = { ...parseApiVersion(apiVersion), kind };
    this.gvkMemo = { apiVersion, kind, gvk };
    return gvk;
  }

  private gvkMemo?: { apiVersion: string; kind: string; gvk: Gvk };
  private idMemo?: { gvk: Gvk; name: string; namespace: string; id: ResId };

  setGvk(gvk: Gvk): void {
    this.kind = gvk.kind;
    this.apiVersion = gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
  }

  get metadata(): JsonObject | undefined {
    const metadata = this.object?.metadata;
    return isJsonObject(metadata) ? metadata : undefined;
  }

  private ensureMetadata(): JsonObject {
    const existing = this.metadata;
    if (existing) return existing;
    const created: JsonObject = {};
    this.obj.metadata = created;
    return created;
  }

  get name(): string {
    return stringAt(this.metadata, 'name');
  }

  set name(value: string) {
    this.ensureMetadata().name = value;
  }

  get namespace(): string {
    return stringAt(this.metadata, 'namespace');
  }

  /** Setting "" removes the field, as kyaml's SetNamespace does. */
  set namespace(value: string) {
    if (value === '') {
      const metadata = this.metadata;
      if (metadata) delete metadata.namespace;
      return;
    }
    this.ensureMetadata().namespace = value;
  }

  get labels(): Record<string, string> {
    return stringMapAt(this.metadata, 'labels');
  }

  set labels(value: Record<string, string>) {
    setStringMap(this.ensureMetadata(), 'labels', value);
  }

  get annotations(): Record<string, string> {
    return stringMapAt(this.metadata, 'annotations');
  }

  set annotations(value: Record<string, string>) {
    setStringMap(this.ensureMetadata(), 'annotations', value);
  }

  // --- identity ----------------------------------------------------------------------------------

  curId(): ResId {
    const gvk = this.gvk;
    const name = this.name;
    const namespace = this.namespace;
    const memo = this.idMemo;
    if (memo !== undefined && memo.gvk === gvk && memo.name === name && memo.namespace === namespace) return memo.id;
    const id = makeResId(gvk, name, namespace);
    this.idMemo = { gvk, name, namespace, id };
    return id;
  }

  previousIds(): ResId[] {
    const { group, version } = parseApiVersion(this.apiVersion);
    return this.previousNames.map((name, index) =>
      makeResId({ group, version, kind: this.previousKinds[index]! }, name, this.previousNamespaces[index]!),
    );
  }

  /** The id the resource had when it was first read (before any rename). */
  orgId(): ResId {
    return this.previousIds()[0] ?? this.curId();
  }

  storePreviousId(): void {
    const id = this.curId();
    this.previousNames.push(id.name);
    this.previousNamespaces.push(effectiveNamespace(id));
    this.previousKinds.push(id.kind);
  }

  /** Kustomize's FromMapWithNamespaceAndName: record an original id for a renamed-at-birth resource. */
  setPreviousId(namespace: string, name: string, kind: string): void {
    this.previousNames.push(name);
    this.previousNamespaces.push(namespace);
    this.previousKinds.push(kind);
  }
}

function stringAt(container: JsonObject | null | undefined, key: string): string {
  const value = container?.[key];
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function stringMapAt(container: JsonObject | undefined, key: string): Record<string, string> {
  const value = container?.[key];
  const result: Record<string, string> = {};
  if (!isJsonObject(value)) return result;
  for (const [k, v] of Object.entries(value)) result[k] = typeof v === 'string' ? v : stringifyScalar(v);
  return result;
}

function stringifyScalar(value: JsonValue): string {
  return value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** An empty map removes the field, as kyaml's SetLabels/SetAnnotations do. */
function setStringMap(metadata: JsonObject, key: string, value: Record<string, string>): void {
  if (Object.keys(value).length === 0) {
    delete metadata[key];
    return;
  }
  metadata[key] = { ...value };
}
