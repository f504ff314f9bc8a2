/**
 * Strategic-merge patching as kustomize v5 does it: kyaml's merge2 walker
 * (kyaml/yaml/merge2 + kyaml/yaml/walk, driven by api/filters/patchstrategicmerge) with list
 * merge keys taken from the Kubernetes 1.21.2 OpenAPI schema.
 *
 * This is NOT apimachinery's strategic merge patch (what `kubectl patch` uses). kyaml only knows
 * the `$patch` directive (delete | replace | merge, on maps and as a list element); keys such as
 * `$setElementOrder/<f>`, `$deleteFromPrimitiveList/<f>` and `$retainKeys` are plain fields to it
 * and are copied into the result like any other field. Without a schema (CRDs and every kind not
 * in the 1.21 schema) lists are replaced wholesale, never merged by key.
 *
 * The walk below follows kyaml's algorithm step by step, including its quirks (element order,
 * de-duplication, the effect of elements lacking the merge key), because kustomize's output is
 * defined by them. It works on plain JSON value trees: maps and lists are mutated in place and
 * object identity stands in for yaml.Node pointer identity.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { KustomizeError } from '../errors.js';
import { cloneJson } from '../parse-cache.js';
import { isEmptyNull, isQuotedString, plainText } from '../yaml/scalar-meta.js';
import {
  KUBERNETES_RESOURCE_SCHEMAS,
  KUBERNETES_SCHEMA_DEFINITIONS,
  type MergeSchemaNode,
  type MergeSchemaRef,
} from './kubernetes-merge-keys.generated.js';

export type { MergeSchemaNode, MergeSchemaRef } from './kubernetes-merge-keys.generated.js';

/** Looks up the schema of a resource type; undefined = no schema (lists are replaced). */
export type MergeSchemaLookup = (apiVersion: string, kind: string) => MergeSchemaRef | undefined;

export interface StrategicMergeOptions {
  /** Patch `options.allowNameChange`: the patch's metadata.name is kept instead of restored. */
  allowNameChange?: boolean;
  /** Patch `options.allowKindChange`: the patch's kind is kept instead of restored. */
  allowKindChange?: boolean;
  /**
   * The patch was applied through a `target:` selector (resWrangler.ApplySmPatch): kustomize
   * first overwrites the patch copy's apiVersion with the target's (and re-sets its own kind).
   */
  viaSelector?: boolean;
  /** Schema source; defaults to the built-in Kubernetes 1.21.2 schema. */
  schemaLookup?: MergeSchemaLookup;
}

/** Lower-level knobs of the kyaml walker, for tests that replay kyaml's own merge2 cases. */
export interface MergeWalkOptions {
  /** kyaml MergeOptionsListPrepend (what patchstrategicmerge uses) vs. ListAppend. */
  listIncreaseDirection?: 'prepend' | 'append';
  /** kyaml InferAssociativeLists (kustomize leaves it false). */
  inferAssociativeLists?: boolean;
  schemaLookup?: MergeSchemaLookup;
}

/** The default lookup: exact apiVersion + kind in the embedded Kubernetes 1.21.2 schema. */
export const kubernetesSchemaLookup: MergeSchemaLookup = (apiVersion, kind) =>
  Object.prototype.hasOwnProperty.call(KUBERNETES_RESOURCE_SCHEMAS, `${apiVersion}/${kind}`)
    ? KUBERNETES_RESOURCE_SCHEMAS[`${apiVersion}/${kind}`]
    : undefined;

/** The schema of the build under way (kyaml's global schema): Kubernetes 1.21.2 unless a custom one is set. */
let activeSchemaLookup: MergeSchemaLookup = kubernetesSchemaLookup;

/** Runs `fn` with `lookup` as the schema of every strategic merge (a kustomization's `openapi.path`). */
export function withSchemaLookup<T>(lookup: MergeSchemaLookup, fn: () => T): T {
  const previous = activeSchemaLookup;
  activeSchemaLookup = lookup;
  try {
    return fn();
  } finally {
    activeSchemaLookup = previous;
  }
}

/**
 * Applies a strategic-merge patch to a resource the way kustomize's Resource.ApplySmPatch does.
 * Returns the patched resource (a new tree; inputs are not modified), or null when the patch
 * deleted the resource (`$patch: delete` at top level, or a result that is empty).
 *
 * Like kustomize, the target keeps its kind and metadata.name (unless allowKindChange /
 * allowNameChange) and always keeps its metadata.namespace: the patch's name/namespace only
 * select the target.
 */
export function applyStrategicMergePatch(
  target: JsonObject,
  patch: JsonObject,
  options: StrategicMergeOptions = {},
): JsonObject | null {
  const dest = cloneJson(target);
  const src = cloneJson(patch);
  const name = metaString(dest, 'name');
  const namespace = metaString(dest, 'namespace');
  const kind = scalarValueOf(dest.kind);
  if (options.viaSelector) {
    // resWrangler.ApplySmPatch: patchCopy.SetGvk(res.GetGvk()); patchCopy.SetKind(patch.GetKind())
    src.apiVersion = scalarValueOf(dest.apiVersion);
    src.kind = scalarValueOf(src.kind);
  }
  const walkOptions: MergeWalkOptions = { listIncreaseDirection: 'prepend' };
  if (options.schemaLookup) walkOptions.schemaLookup = options.schemaLookup;
  const result = mergeWalk(dest, src, walkOptions);
  // Resource.ApplyFilter only looks at whether the filter returned a node: the resource itself
  // is whatever the walk did to the target in place (a top-level `$patch: replace` therefore
  // leaves the target as it was).
  if (result === undefined || Object.keys(dest).length === 0) return null;
  if (!options.allowKindChange) dest.kind = kind;
  if (!options.allowNameChange) setMetaField(dest, 'name', name);
  if (namespace === '') {
    if (isJsonObject(dest.metadata)) delete dest.metadata.namespace;
  } else {
    setMetaField(dest, 'namespace', namespace);
  }
  return dest;
}

/**
 * kyaml merge2.Merge(src, dest): walks dest and src together and returns the merged node
 * (undefined = cleared). `dest` is mutated in place; `src` may be too (directives are removed
 * from it as they are read). Exposed for tests replaying kyaml's own merge2 cases.
 */
export function mergeWalk(
  dest: JsonValue | undefined,
  src: JsonValue | undefined,
  options: MergeWalkOptions = {},
): JsonValue | undefined {
  const ctx: Ctx = {
    prepend: (options.listIncreaseDirection ?? 'prepend') === 'prepend',
    infer: options.inferAssociativeLists ?? false,
    lookup: options.schemaLookup ?? activeSchemaLookup,
  };
  const out = walk(ctx, [dest, src], null, []);
  return out === KEEP_NULL ? null : out;
}

// ---------------------------------------------------------------------------------------------
// Node model. `undefined` is a missing node (Go: nil *RNode). JSON null is a YAML !!null node.
// KEEP_NULL is kyaml's "persistent null" (MakePersistentNullNode): a null that survives being set
// on a map field, produced when the target has `field: null` and the patch does not mention it.

const KEEP_NULL: unique symbol = Symbol('kyaml persistent null');
type Node = JsonValue | undefined | typeof KEEP_NULL;
type Sources = [Node, Node];

interface Ctx {
  prepend: boolean;
  infer: boolean;
  lookup: MergeSchemaLookup;
}

type Schema = MergeSchemaNode | null;

const enum Kind {
  None = 0,
  Map,
  Seq,
  Scalar,
}

function isMissingOrNull(n: Node): n is undefined | null | typeof KEEP_NULL {
  return n === undefined || n === null || n === KEEP_NULL;
}

function kindOf(n: Node): Kind {
  if (isMissingOrNull(n)) return Kind.None;
  if (Array.isArray(n)) return Kind.Seq;
  if (isJsonObject(n)) return Kind.Map;
  return Kind.Scalar;
}

/** yaml.Node.Value of a node: scalar text, "" for maps and sequences. */
function scalarText(n: Node): string {
  if (n === undefined) return '';
  if (n === null || n === KEEP_NULL) return 'null';
  if (typeof n === 'string') return n;
  if (typeof n === 'number' || typeof n === 'bigint' || typeof n === 'boolean') return String(n);
  return '';
}

function scalarValueOf(n: JsonValue | undefined): string {
  return n === undefined || n === null || typeof n === 'object' ? '' : String(n);
}

/** IsNilOrEmpty of a field value: missing, null, {} or []. */
function isNilOrEmpty(n: Node): boolean {
  if (isMissingOrNull(n)) return true;
  if (Array.isArray(n)) return n.length === 0;
  if (isJsonObject(n)) return Object.keys(n).length === 0;
  return false;
}

function isEmptyMap(n: Node): boolean {
  return isMissingOrNull(n) || (isJsonObject(n) && Object.keys(n).length === 0);
}

/** An untagged scalar created by kyaml from text (NewScalarRNode) reads back with YAML typing. */
function scalarFromText(text: string): JsonValue {
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~' || text === '') return text === '' ? '' : null;
  return text;
}

function kindName(k: Kind): string {
  switch (k) {
    case Kind.Map:
      return 'MappingNode';
    case Kind.Seq:
      return 'SequenceNode';
    case Kind.Scalar:
      return 'ScalarNode';
    default:
      return 'Kind(0)';
  }
}

function invalidKind(expected: Kind, node: Node): KustomizeError {
  const contents = JSON.stringify(node === KEEP_NULL ? null : node, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  return new KustomizeError(
    `wrong node kind: expected ${kindName(expected)} but got ${kindName(kindOf(node))}: node contents:\n${contents}`,
  );
}

function errorIfInvalid(n: Node, expected: Kind): void {
  if (isMissingOrNull(n)) return;
  if (kindOf(n) !== expected) throw invalidKind(expected, n);
}

/** RNode.Field(name).Value: the value if n is a map that has the field. */
function fieldOf(n: Node, name: string): { value: JsonValue } | undefined {
  if (!isJsonObject(n) || !Object.prototype.hasOwnProperty.call(n, name)) return undefined;
  return { value: n[name] as JsonValue };
}

// ---------------------------------------------------------------------------------------------
// Schema access (openapi.ResourceSchema.Field / Elements / PatchStrategyAndKeyList).

function resolveSchema(ref: MergeSchemaRef | undefined): Schema {
  if (ref === undefined) return null;
  if (typeof ref !== 'string') return ref;
  if (ref === '') return EMPTY_SCHEMA;
  return KUBERNETES_SCHEMA_DEFINITIONS[ref] ?? EMPTY_SCHEMA;
}
const EMPTY_SCHEMA: MergeSchemaNode = Object.freeze({});

function schemaField(s: MergeSchemaNode, name: string): Schema {
  if (s.p && Object.prototype.hasOwnProperty.call(s.p, name)) return resolveSchema(s.p[name]);
  if (s.ap !== undefined) return resolveSchema(s.ap);
  return null;
}

function schemaElements(s: MergeSchemaNode): Schema {
  return s.it === undefined ? null : resolveSchema(s.it);
}

function hasMergeStrategy(s: MergeSchemaNode): boolean {
  return (s.ps ?? '').split(',').includes('merge');
}

/**
 * Walker.GetSchema: the schema handed down by the parent, or else (at any level!) the schema
 * of the apiVersion/kind found in the dest, then the origin node.
 */
function getSchema(ctx: Ctx, sources: Sources, given: Schema): Schema {
  if (given !== null) return given;
  for (const s of sources) {
    if (!isJsonObject(s)) continue;
    const apiVersion = isNilOrEmpty(s.apiVersion) ? '' : scalarText(s.apiVersion);
    const kind = isNilOrEmpty(s.kind) ? '' : scalarText(s.kind);
    if (apiVersion === '' || kind === '') continue;
    const found = ctx.lookup(apiVersion, kind);
    if (found !== undefined) return resolveSchema(found);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Walker.Walk

function walk(ctx: Ctx, sources: Sources, given: Schema, path: string[]): Node {
  const schema = getSchema(ctx, sources, given);
  let kind = Kind.None;
  for (const s of sources) {
    if (!isMissingOrNull(s)) {
      kind = kindOf(s);
      break;
    }
  }
  for (const s of sources) errorIfInvalid(s, kind === Kind.None ? Kind.Map : kind);
  switch (kind) {
    case Kind.Seq:
      if (isAssociative(ctx, schema, sources)) return walkAssociativeSequence(ctx, sources, schema, path);
      // Non-associative list: the patch's list replaces the target's.
      return sources[1] !== undefined ? sources[1] : sources[0];
    case Kind.Scalar:
      return sources[1] !== undefined ? sources[1] : sources[0];
    default:
      // Maps, and nodes that are missing or null on both sides.
      return walkMap(ctx, sources, schema, path);
  }
}

function isAssociative(ctx: Ctx, schema: Schema, sources: Sources): boolean {
  if (schema !== null) return hasMergeStrategy(schema);
  if (!ctx.infer) return false;
  return sources.some((s) => Array.isArray(s) && associativeKey(s) !== '');
}

/** RNode.GetAssociativeKey: "name" if every element has a name field. */
function associativeKey(list: JsonValue[]): string {
  return list.every((e) => fieldOf(e, 'name') !== undefined) ? 'name' : '';
}

// ---------------------------------------------------------------------------------------------
// Maps

function walkMap(ctx: Ctx, sources: Sources, schema: Schema, path: string[]): Node {
  const dest = visitMap(sources);
  sources[0] = dest; // setDestNode: fields are now merged onto whatever VisitMap chose
  if (dest === undefined) return undefined;
  // Union of the field names of both sides, sorted (new fields are appended in this order).
  const names = new Set<string>();
  for (const s of sources) if (isJsonObject(s)) for (const k of Object.keys(s)) names.add(k);
  const sorted = [...names].sort(compareStrings);
  const target = isJsonObject(sources[0]) ? sources[0] : undefined;
  const patch = isJsonObject(sources[1]) ? sources[1] : undefined;
  for (const key of sorted) {
    const fv: Sources = [fieldOf(sources[0], key)?.value, fieldOf(sources[1], key)?.value];
    if (fv[1] === undefined && target !== undefined && isEmptyNull(target, key)) {
      // `key:` with no value: VisitMap keeps a target's null only when it has text ("null", "~").
      delete target[key];
      continue;
    }
    const childSchema = schema === null ? null : schemaField(schema, key);
    let val = walk(ctx, fv, childSchema, [...path, key]);
    if (target !== undefined && patch !== undefined && val === fv[1] && styledAsString(target, patch, key)) {
      // Merger.SetStyle: the patch scalar takes the target's quoting, so it reads back as a string.
      val = plainText(patch, key) ?? String(val);
    }
    setField(dest, key, val);
  }
  return dest;
}

/** A patch number or boolean written plain, replacing a target string written quoted. */
function styledAsString(target: JsonObject, patch: JsonObject, key: string): boolean {
  const value = patch[key];
  if (value === null || value === undefined || typeof value === 'object') return false;
  // A plain timestamp is a string already, but not its own text.
  if (typeof value === 'string' && plainText(patch, key) === undefined) return false;
  return isQuotedString(target, key);
}

function compareStrings(a: string, b: string): number {
  // Go sort.Strings: byte order (same as UTF-16 order for BMP text).
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Merger.VisitMap */
function visitMap(sources: Sources): Node {
  const [dest, origin] = sources;
  if (isMissingOrNull(dest)) {
    let ps: Directive = 'unknown';
    try {
      ps = determineSmpDirective(origin);
    } catch {
      // kyaml ignores the error on this path
    }
    if (ps === 'delete') return undefined;
    // Keep an explicit null of the target when the patch does not mention the field.
    if (origin === undefined && dest !== undefined) return KEEP_NULL;
    return origin;
  }
  if (origin === null) return undefined; // `field: null` in the patch deletes the field
  const ps = determineSmpDirective(origin);
  if (ps === 'delete') return undefined;
  if (ps === 'replace') return origin;
  return dest;
}

/** yaml.FieldSetter on a map: a missing or plain null value clears the field. */
function setField(dest: Node, key: string, val: Node): void {
  if (!isJsonObject(dest)) return;
  if (val === undefined || val === null) {
    delete dest[key];
    return;
  }
  dest[key] = val === KEEP_NULL ? null : val;
}

// ---------------------------------------------------------------------------------------------
// $patch directives (merge2/smpdirective.go)

type Directive = 'unknown' | 'replace' | 'delete' | 'merge';
const DIRECTIVE_KEY = '$patch';

function directiveOf(text: string): Directive | undefined {
  return text === 'delete' || text === 'replace' || text === 'merge' ? text : undefined;
}

/** Reads the `$patch` directive of a patch node and removes it from the node. */
function determineSmpDirective(patch: Node): Directive {
  if (patch === undefined) return 'merge';
  if (Array.isArray(patch)) return determineSequenceDirective(patch);
  if (isJsonObject(patch)) {
    const f = fieldOf(patch, DIRECTIVE_KEY);
    if (f === undefined) return 'merge';
    const v = scalarText(f.value);
    const d = directiveOf(v);
    if (d === undefined) throw new KustomizeError(`unknown patch strategy '${v}'`);
    delete patch[DIRECTIVE_KEY];
    return d;
  }
  const tag = patch === null || patch === KEEP_NULL ? '!!null' : typeof patch === 'string' ? '!!str' : typeof patch === 'boolean' ? '!!bool' : typeof patch === 'bigint' || Number.isInteger(patch) ? '!!int' : '!!float';
  throw new KustomizeError(
    `no implemented strategic merge patch strategy for '${tag}' ('${scalarText(patch)}\n')`,
  );
}

/**
 * A list-level directive is an element `{$patch: x}` with no other key. The first element that
 * has a `$patch` key decides; if it has other keys, the list is merged normally (the element is
 * then an element-level directive).
 */
function determineSequenceDirective(list: JsonValue[]): Directive {
  const elem = list.find((e) => isJsonObject(e) && fieldOf(e, DIRECTIVE_KEY) !== undefined) as JsonObject | undefined;
  if (elem === undefined || Object.keys(elem).length > 1) return 'merge';
  const v = scalarText(elem[DIRECTIVE_KEY]);
  const d = directiveOf(v);
  if (d === undefined) throw new KustomizeError(`unknown patch strategy '${v}'`);
  // Elided with ElementSetter: removes every element whose $patch equals v (and, as a side
  // effect of ElementSetter, every null or empty-map element).
  elementSetter(list, undefined, [DIRECTIVE_KEY], [v]);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Associative lists (walk/associative_sequence.go)

/** Merger.VisitList for associative lists */
function visitAssociativeList(sources: Sources): Node {
  const [dest, origin] = sources;
  if (isMissingOrNull(dest)) return origin;
  if (origin === null) return undefined;
  const ps = determineSmpDirective(origin);
  if (ps === 'delete') return undefined;
  if (ps === 'replace') return origin;
  return dest;
}

function walkAssociativeSequence(ctx: Ctx, sources: Sources, schema: Schema, path: string[]): Node {
  const dest = visitAssociativeList(sources);
  sources[0] = dest;
  if (dest === undefined) return undefined;
  let strategy = '';
  let keys: string[] = [];
  if (schema !== null && schema.ps !== undefined) {
    strategy = schema.ps;
    keys = [...(schema.mk ?? [])];
  }
  if (strategy === '' && keys.length === 0) {
    const key = elementKey(sources, path);
    if (key !== '') keys.push(key);
  }
  const values = elementValues(ctx, sources, keys);
  if (values.length !== 0 || keys.length > 0) {
    return setAssociativeSequenceElements(ctx, sources, schema, values, keys, dest);
  }
  // primitive associative list (e.g. metadata.finalizers): union of the values
  return setAssociativeSequenceElements(ctx, sources, schema, elementPrimitiveValues(ctx, sources), [''], dest);
}

function elementKey(sources: Sources, path: string[]): string {
  let key = '';
  for (const s of sources) {
    if (Array.isArray(s) && s.length > 0) {
      const newKey = associativeKey(s);
      if (key !== '' && key !== newKey) {
        throw new KustomizeError(`conflicting merge keys [${key},${newKey}] for field ${path.join('.')}`);
      }
      key = newKey;
    }
  }
  if (key === '') throw new KustomizeError(`no merge key found for field ${path.join('.')}`);
  return key;
}

/** Sources in the order their elements are collected: the patch first when prepending. */
function orderedSources(ctx: Ctx, sources: Sources): Node[] {
  return ctx.prepend ? [sources[1], sources[0]] : [sources[0], sources[1]];
}

/** RNode.ElementValuesList: per element, the text of each key field ("" if missing/empty). */
function elementValuesList(list: Node, keys: string[]): string[][] {
  if (!Array.isArray(list)) return [];
  return list.map((e) =>
    keys.map((k) => {
      const f = fieldOf(e, k);
      return f === undefined || isNilOrEmpty(f.value) ? '' : scalarText(f.value);
    }),
  );
}

function elementValues(ctx: Ctx, sources: Sources, keys: string[]): string[][] {
  const out: string[][] = [];
  const seen = new Set<string>();
  for (const src of orderedSources(ctx, sources)) {
    if (src === undefined) continue;
    for (const tuple of elementValuesList(src, keys)) {
      const id = JSON.stringify(tuple);
      if (tuple.length === 0 || seen.has(id)) continue;
      out.push(tuple);
      seen.add(id);
    }
  }
  return out;
}

function elementPrimitiveValues(ctx: Ctx, sources: Sources): string[][] {
  const out: string[][] = [];
  const seen = new Set<string>();
  for (const src of orderedSources(ctx, sources)) {
    if (!Array.isArray(src)) continue;
    for (const item of src) {
      const text = scalarText(item);
      if (seen.has(text)) continue;
      out.push([text]);
      seen.add(text);
    }
  }
  return out;
}

/** If some merge keys have no value in any element, match on the keys that do. */
function validateKeys(valuesList: string[][], values: string[], keys: string[]): [string[], string[]] {
  const valid = new Set<string>();
  for (const vs of valuesList) vs.forEach((v, i) => v !== '' && valid.add(keys[i] as string));
  if (valid.size === 0) return [keys, values];
  const validKeys = keys.filter((k) => valid.has(k));
  const validValues = values.filter((v, i) => v !== '' || valid.has(keys[i] as string));
  return [validKeys, validValues];
}

/** Tuples that differ only where one side is "" are the same element (e.g. port w/o protocol). */
function mergeValues(valuesList: string[][]): string[][] {
  for (let i = 0; i < valuesList.length; i++) {
    const v1 = valuesList[i] as string[];
    for (let j = 0; j < valuesList.length; j++) {
      const m = matchValues(v1, valuesList[j] as string[]);
      if (m !== undefined) {
        valuesList[i] = m;
        valuesList[j] = m;
      }
    }
  }
  return valuesList;
}

function matchValues(a: string[], b: string[]): string[] | undefined {
  if (a.length !== b.length) return undefined;
  let common = false;
  const res: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) {
      common = true;
      res.push(x);
      continue;
    }
    if (x !== '' && y !== '') return undefined;
    res.push(x !== '' ? x : y);
  }
  return common ? res : undefined;
}

function setAssociativeSequenceElements(
  ctx: Ctx,
  sources: Sources,
  schema: Schema,
  valuesListIn: string[][],
  keys: string[],
  destIn: Node,
): Node {
  let dest = destIn as JsonValue[];
  const items: JsonValue[] = [];
  const elemSchema = schema === null ? null : schemaElements(schema);
  const valuesList = keys.length > 1 ? mergeValues(valuesListIn) : valuesListIn;
  let validKeys: string[] = [];
  let validValues: string[] = [];
  for (const values of valuesList) {
    if (values.length === 0) continue;
    [validKeys, validValues] = validateKeys(valuesList, values, keys);
    const elemSources = elementValueList(sources, validKeys, validValues);
    // Element walkers are created without a path (as in kyaml).
    const val = walk(ctx, elemSources, elemSchema, []);
    let exit = false;
    for (let i = 0; i < validKeys.length; i++) {
      const key = validKeys[i] as string;
      if (isMissingOrNull(val) || isEmptyMap(val)) {
        // the merged element is gone: remove it from the target list
        elementSetter(dest, undefined, validKeys, validValues);
        exit = true;
      } else if (fieldOf(val, key) === undefined && (validValues[i] as string) !== '') {
        // make sure the merge key is set on the element (yaml.SetField)
        if (key === '') {
          // primitive element: it already carries this text; a map here is a kyaml error
          errorIfInvalid(val, Kind.Scalar);
        } else {
          errorIfInvalid(val, Kind.Map);
          (val as JsonObject)[key] = scalarFromText(validValues[i] as string);
        }
      }
    }
    if (exit) continue;
    elementSetter(items, val as JsonValue, validKeys, validValues);
  }
  if (valuesList.length > 0) {
    // Prepend (kustomize): patch elements first, then the target's remaining elements, each
    // target element put back in place of its merged copy.
    dest = ctx.prepend ? appendListNode(items, dest, validKeys) : appendListNode(dest, items, validKeys);
  }
  return dest;
}

/** Walker.elementValueList: the matching element of each source. */
function elementValueList(sources: Sources, keysIn: string[], valuesIn: string[]): Sources {
  const [keys, values] = validateKeys([valuesIn], valuesIn, keysIn);
  return [elementList(sources[0], keys, values), elementList(sources[1], keys, values)];
}

/** RNode.ElementList (ElementMatcher): first element whose keys all have the given texts. */
function elementList(list: Node, keysIn: string[], valuesIn: string[]): Node {
  if (!Array.isArray(list)) return undefined;
  const keys = keysIn.length === 0 ? [''] : keysIn;
  const values = valuesIn.length === 0 ? [''] : valuesIn;
  if (keys[0] === '') {
    return list.find((item) => scalarText(item) === values[0]);
  }
  for (const elem of list) {
    if (!isMissingOrNull(elem) && !isJsonObject(elem)) continue;
    if (keys.length !== values.length) return undefined; // kyaml: error, swallowed by ElementList
    let matches = true;
    for (let i = 0; i < keys.length; i++) {
      const f = fieldOf(elem, keys[i] as string);
      if (f === undefined || scalarText(f.value) !== values[i]) {
        matches = false;
        break;
      }
    }
    if (matches) return elem;
  }
  return undefined;
}

/**
 * yaml.FieldMatcher on one element: does `elem` have field `name` (with text `value`, unless
 * value is "" which matches any value)? name "" compares a scalar element's own text.
 */
function fieldMatches(elem: JsonValue, name: string, value: string): boolean {
  if (elem === null) return false;
  if (name === '') {
    errorIfInvalid(elem, Kind.Scalar);
    return scalarText(elem) === value;
  }
  errorIfInvalid(elem, Kind.Map);
  const f = fieldOf(elem, name);
  if (f === undefined) return false;
  return value === '' || scalarText(f.value) === value;
}

/**
 * yaml.ElementSetter: in `list` (mutated), replace the element matching keys/values with
 * `element`, or remove it when element is undefined; append when nothing matched. Null and
 * empty-map elements are always dropped; with no values given, non-matching elements are
 * dropped as well (kyaml behaviour).
 */
function elementSetter(list: JsonValue[], element: JsonValue | undefined, keysIn: string[], values: string[]): void {
  const keys = keysIn.length === 0 ? [''] : keysIn;
  const mappingSetter = keys[0] !== '' && values.length > 0 && values[0] !== '';
  const next: JsonValue[] = [];
  let matched = false;
  for (const elem of list) {
    if (isEmptyMap(elem)) continue;
    if (!isJsonObject(elem) && mappingSetter) {
      next.push(elem);
      continue;
    }
    let found = true;
    let last = false;
    for (let j = 0; j < keys.length; j++) {
      if (j < values.length) last = fieldMatches(elem, keys[j] as string, values[j] as string);
      if (!last) {
        found = false;
        break;
      }
    }
    if (!found) {
      if (values.length > 0) next.push(elem);
      continue;
    }
    matched = true;
    if (element === undefined) continue;
    next.push(element);
  }
  list.splice(0, list.length, ...next);
  if (element === undefined || element === null) return;
  if (!matched) list.push(element);
}

/** walk.appendListNode: put each element of src into dst (replacing its match, else append). */
function appendListNode(dst: JsonValue[], src: JsonValue[], keys: string[]): JsonValue[] {
  for (const elem of [...src]) {
    if (keys[0] === '') {
      elementSetter(dst, elem, [''], [scalarText(elem)]);
      continue;
    }
    const v: string[] = [];
    for (const key of keys) {
      if (elem !== null) errorIfInvalid(elem, Kind.Map);
      const f = elem === null ? undefined : fieldOf(elem, key);
      if (f === undefined) {
        // no key: appended as is (kyaml then still runs the setter below with fewer values)
        dst.push(elem);
        continue;
      }
      v.push(scalarText(f.value));
    }
    if (keys.length > 1) elementSetter(dst, undefined, keys, v);
    elementSetter(dst, elem, keys, v);
  }
  return dst;
}

// ---------------------------------------------------------------------------------------------
// Metadata helpers (Resource.ApplySmPatch restores name / namespace / kind)

function metaString(obj: JsonObject, field: string): string {
  const md = obj.metadata;
  if (!isJsonObject(md) || isNilOrEmpty(md)) return '';
  const v = md[field];
  return v === undefined || isNilOrEmpty(v) ? '' : scalarText(v);
}

function setMetaField(obj: JsonObject, field: string, value: string): void {
  if (!isJsonObject(obj.metadata)) obj.metadata = {};
  (obj.metadata as JsonObject)[field] = value;
}
