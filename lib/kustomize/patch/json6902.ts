/**
 * JSON patches (RFC 6902) as kustomize applies them: api/filters/patchjson6902 hands the
 * resource, marshalled to JSON, to gopkg.in/evanphx/json-patch.v4 (v4.13). That library differs
 * from the RFC in ways that decide kustomize's output, and they are kept here on purpose:
 *
 * - `replace` of a missing object key succeeds (it adds the key); only arrays check the index.
 * - `add`/`copy` without a `value` store null; `copy`/`move` from a missing object key move null.
 * - `test` of a missing key (or null) against a null/absent value passes.
 * - Negative array indices count from the end (`add` at -1 appends); indices go through Go's
 *   strconv.Atoi, so "+1" and "01" are accepted.
 * - The first path segment before the first "/" is ignored ("a/b" means "/b").
 * - Error texts are the library's, e.g.
 *   `add operation does not apply: doc is missing path: "/spec/x": missing value`.
 */
import { yamlLibrary } from '../yaml/library.js';
import { exactInteger } from '../yaml/go-scalars.js';
import { excessiveAliasing } from '../yaml/alias-budget.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { KustomizeError } from '../errors.js';

export interface Json6902Operation {
  [key: string]: JsonValue;
}

/**
 * Parses the text of a JSON patch the way kustomize does: text starting with "[" is JSON,
 * anything else is YAML (first document only, YAML 1.1 scalars as sigs.k8s.io/yaml reads them).
 * Throws KustomizeError if the text is not a list of operation objects. An empty text or a
 * YAML document that is null yields no operations.
 */
export function parseJson6902Operations(text: string, fileName: string): Json6902Operation[] {
  let decoded: unknown;
  if (text.startsWith('[')) {
    try {
      decoded = JSON.parse(text);
    } catch (e) {
      throw new KustomizeError(`decoding ${fileName}: ${(e as Error).message}`, { cause: e });
    }
    // JSON.parse rounds integers beyond 2^53; JSON is YAML, so read those texts again exactly.
    if (/\d{16}/.test(text)) decoded = exactIntegers(yamlLibrary().parse(text, { version: '1.1', intAsBigInt: true }));
  } else {
    // sigs.k8s.io/yaml.YAMLToJSON decodes the first document only
    const all = yamlLibrary().parseAllDocuments(text, { version: '1.1', uniqueKeys: false, intAsBigInt: true });
    const doc = Array.isArray(all) ? all[0] : undefined;
    if (doc === undefined) return [];
    if (doc.errors.length > 0) {
      const first = doc.errors[0] as Error;
      throw new KustomizeError(`decoding ${fileName}: error converting YAML to JSON: ${first.message}`, { cause: first });
    }
    const excessive = excessiveAliasing(doc);
    if (excessive !== undefined) throw new KustomizeError(`decoding ${fileName}: error converting YAML to JSON: ${excessive}`);
    decoded = exactIntegers(doc.toJS({ maxAliasCount: -1 }));
  }
  return decodeOperations(decoded, fileName);
}

/** Integers read as bigints: numbers again where that is exact (see JsonPrimitive). */
function exactIntegers(value: unknown): unknown {
  if (typeof value === 'bigint') return exactInteger(value);
  if (Array.isArray(value)) return value.map(exactIntegers);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = exactIntegers(item);
    return out;
  }
  return value;
}

/** jsonpatch.DecodePatch: a JSON array of objects (null = empty patch). */
function decodeOperations(decoded: unknown, fileName: string): Json6902Operation[] {
  if (decoded === null || decoded === undefined) return [];
  if (!Array.isArray(decoded)) {
    throw new KustomizeError(
      `decoding ${fileName}: json: cannot unmarshal ${goJsonType(decoded)} into Go value of type jsonpatch.Patch`,
    );
  }
  return decoded.map((op) => {
    if (op === null) return {};
    if (!isJsonObject(op as JsonValue)) {
      throw new KustomizeError(
        `decoding ${fileName}: json: cannot unmarshal ${goJsonType(op)} into Go value of type jsonpatch.Operation`,
      );
    }
    return op as Json6902Operation;
  });
}

function goJsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object' && v !== null) return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/**
 * Applies JSON patch operations to a resource; returns the patched resource as a new tree.
 * `operations` is what parseJson6902Operations returns (or any decoded JSON array);
 * `where` names the patch (file or inline) for the error hint.
 */
export function applyJson6902Patch(target: JsonObject, operations: unknown, where: string): JsonObject {
  const ops = decodeOperations(operations, where);
  const root: Holder = { doc: structuredClone(target) };
  for (const op of ops) {
    try {
      applyOperation(root, op);
    } catch (e) {
      if (e instanceof PatchError) throw new KustomizeError(e.message, { hint: `in JSON patch ${where}` });
      throw e;
    }
  }
  if (!isJsonObject(root.doc)) {
    // kustomize unmarshals the result back into the resource node; a top-level array cannot be one.
    throw new KustomizeError(`json patch ${where} turned the resource into a non-object`);
  }
  return sortKeys(root.doc) as JsonObject;
}

class PatchError extends Error {}

/** The document (may be replaced as a whole by `replace` with path ""). */
interface Holder {
  doc: JsonObject | JsonValue[];
}

type Container = JsonObject | JsonValue[];

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

function applyOperation(root: Holder, op: Json6902Operation): void {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  switch (kind) {
    case 'add':
      return opAdd(root, op);
    case 'remove':
      return opRemove(root, op);
    case 'replace':
      return opReplace(root, op);
    case 'move':
      return opMove(root, op);
    case 'test':
      return opTest(root, op);
    case 'copy':
      return opCopy(root, op);
    default:
      throw new PatchError(`Unexpected kind: ${kind}`);
  }
}

/** Operation.Path / From: the string field, or a Go-like error. */
function stringField(op: Json6902Operation, field: 'path' | 'from'): { ok: true; value: string } | { ok: false; err: string } {
  const v = op[field];
  if (v === undefined || v === null) {
    return { ok: false, err: field === 'path' ? `operation missing path field: ${MISSING}` : `operation, missing from field: ${MISSING}` };
  }
  if (typeof v !== 'string') return { ok: false, err: `json: cannot unmarshal ${goJsonType(v)} into Go value of type string` };
  return { ok: true, value: v };
}

/** Operation.value(): undefined = no `value` key; null = JSON null (a nil lazyNode). */
function opValue(op: Json6902Operation): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(op, 'value') ? (op.value as JsonValue) : undefined;
}

function decodeKey(k: string): string {
  // RFC 6901: "~1" -> "/", then "~0" -> "~" (done in one left-to-right pass, like Go's Replacer)
  return k.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));
}

/** findObject: the container holding the last path segment, and that segment. */
function findObject(root: Holder, path: string): [Container, string] | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  const parts = split.slice(1, -1);
  const key = split[split.length - 1] as string;
  let doc: Container = root.doc;
  for (const part of parts) {
    const next = containerGet(doc, decodeKey(part));
    if (next.err !== undefined || next.value === undefined || next.value === null) return undefined;
    if (Array.isArray(next.value) || isJsonObject(next.value)) doc = next.value;
    else return undefined; // a scalar cannot be descended into
  }
  return [doc, decodeKey(key)];
}

/** Go strconv.Atoi */
function atoi(key: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(key)) return undefined;
  const n = Number(key);
  return Number.isSafeInteger(n) ? n : undefined;
}

function atoiError(key: string): string {
  const s = key.replace(/"/g, '\\"');
  return /^[+-]?[0-9]+$/.test(key)
    ? `strconv.Atoi: parsing "${s}": value out of range`
    : `strconv.Atoi: parsing "${s}": invalid syntax`;
}

function containerGet(c: Container, key: string): { value?: JsonValue | undefined; err?: string } {
  if (!Array.isArray(c)) {
    return { value: Object.prototype.hasOwnProperty.call(c, key) ? (c[key] as JsonValue) : undefined };
  }
  let idx = atoi(key);
  if (idx === undefined) return { err: atoiError(key) };
  if (idx < 0) {
    if (idx < -c.length) return { err: `Unable to access invalid index: ${idx}: ${INVALID_INDEX}` };
    idx += c.length;
  }
  if (idx >= c.length) return { err: `Unable to access invalid index: ${idx}: ${INVALID_INDEX}` };
  return { value: c[idx] as JsonValue };
}

function containerAdd(c: Container, key: string, val: JsonValue): string | undefined {
  if (!Array.isArray(c)) {
    c[key] = val;
    return undefined;
  }
  if (key === '-') {
    c.push(val);
    return undefined;
  }
  let idx = atoi(key);
  if (idx === undefined) return `value was not a proper array index: '${key}': ${atoiError(key)}`;
  const size = c.length + 1;
  if (idx >= size) return `Unable to access invalid index: ${idx}: ${INVALID_INDEX}`;
  if (idx < 0) {
    if (idx < -size) return `Unable to access invalid index: ${idx}: ${INVALID_INDEX}`;
    idx += size;
  }
  c.splice(idx, 0, val);
  return undefined;
}

function containerSet(c: Container, key: string, val: JsonValue): string | undefined {
  if (!Array.isArray(c)) {
    c[key] = val;
    return undefined;
  }
  let idx = atoi(key);
  if (idx === undefined) return atoiError(key);
  if (idx < 0) {
    if (idx < -c.length) return `Unable to access invalid index: ${idx}: ${INVALID_INDEX}`;
    idx += c.length;
  }
  c[idx] = val;
  return undefined;
}

function containerRemove(c: Container, key: string): string | undefined {
  if (!Array.isArray(c)) {
    if (!Object.prototype.hasOwnProperty.call(c, key)) return `Unable to remove nonexistent key: ${key}: ${MISSING}`;
    delete c[key];
    return undefined;
  }
  let idx = atoi(key);
  if (idx === undefined) return atoiError(key);
  if (idx >= c.length) return `Unable to access invalid index: ${idx}: ${INVALID_INDEX}`;
  if (idx < 0) {
    if (idx < -c.length) return `Unable to access invalid index: ${idx}: ${INVALID_INDEX}`;
    idx += c.length;
  }
  c.splice(idx, 1);
  return undefined;
}

function opAdd(root: Holder, op: Json6902Operation): void {
  const path = stringField(op, 'path');
  if (!path.ok) throw new PatchError(`add operation failed to decode path: ${MISSING}`);
  const found = findObject(root, path.value);
  if (!found) throw new PatchError(`add operation does not apply: doc is missing path: "${path.value}": ${MISSING}`);
  const err = containerAdd(found[0], found[1], structuredClone(opValue(op) ?? null));
  if (err !== undefined) throw new PatchError(`error in add for path: '${path.value}': ${err}`);
}

function opRemove(root: Holder, op: Json6902Operation): void {
  const path = stringField(op, 'path');
  if (!path.ok) throw new PatchError(`remove operation failed to decode path: ${MISSING}`);
  const found = findObject(root, path.value);
  if (!found) throw new PatchError(`remove operation does not apply: doc is missing path: "${path.value}": ${MISSING}`);
  const err = containerRemove(found[0], found[1]);
  if (err !== undefined) throw new PatchError(`error in remove for path: '${path.value}': ${err}`);
}

function opReplace(root: Holder, op: Json6902Operation): void {
  const path = stringField(op, 'path');
  if (!path.ok) throw new PatchError(`replace operation failed to decode path: ${path.err}`);
  if (path.value === '') {
    const val = opValue(op);
    if (!Array.isArray(val) && !isJsonObject(val ?? null)) {
      // Go formats the (nil) wrapped error this way
      throw new PatchError('replace operation value must be object or array: %!w(<nil>)');
    }
    root.doc = structuredClone(val as Container);
    return;
  }
  const found = findObject(root, path.value);
  if (!found) throw new PatchError(`replace operation does not apply: doc is missing path: ${path.value}: ${MISSING}`);
  // Only arrays can fail here: a missing object key is simply set.
  if (containerGet(found[0], found[1]).err !== undefined) {
    throw new PatchError(`replace operation does not apply: doc is missing key: ${path.value}: ${MISSING}`);
  }
  const err = containerSet(found[0], found[1], structuredClone(opValue(op) ?? null));
  if (err !== undefined) throw new PatchError(`error in remove for path: '${path.value}': ${err}`);
}

function opMove(root: Holder, op: Json6902Operation): void {
  const from = stringField(op, 'from');
  if (!from.ok) throw new PatchError(`move operation failed to decode from: ${from.err}`);
  const src = findObject(root, from.value);
  if (!src) throw new PatchError(`move operation does not apply: doc is missing from path: ${from.value}: ${MISSING}`);
  const got = containerGet(src[0], src[1]);
  if (got.err !== undefined) throw new PatchError(`error in move for path: '${src[1]}': ${got.err}`);
  const removeErr = containerRemove(src[0], src[1]);
  if (removeErr !== undefined) throw new PatchError(`error in move for path: '${src[1]}': ${removeErr}`);
  const path = stringField(op, 'path');
  if (!path.ok) throw new PatchError(`move operation failed to decode path: ${path.err}`);
  const dst = findObject(root, path.value);
  if (!dst) throw new PatchError(`move operation does not apply: doc is missing destination path: ${path.value}: ${MISSING}`);
  const addErr = containerAdd(dst[0], dst[1], got.value ?? null);
  if (addErr !== undefined) throw new PatchError(`error in move for path: '${path.value}': ${addErr}`);
}

function opCopy(root: Holder, op: Json6902Operation): void {
  const from = stringField(op, 'from');
  if (!from.ok) throw new PatchError(`copy operation failed to decode from: ${from.err}`);
  const src = findObject(root, from.value);
  if (!src) throw new PatchError(`copy operation does not apply: doc is missing from path: ${from.value}: ${MISSING}`);
  const got = containerGet(src[0], src[1]);
  if (got.err !== undefined) throw new PatchError(`error in copy for from: '${from.value}': ${got.err}`);
  const path = stringField(op, 'path');
  if (!path.ok) throw new PatchError(`copy operation failed to decode path: ${MISSING}`);
  const dst = findObject(root, path.value);
  if (!dst) throw new PatchError(`copy operation does not apply: doc is missing destination path: ${path.value}: ${MISSING}`);
  const addErr = containerAdd(dst[0], dst[1], structuredClone(got.value ?? null));
  if (addErr !== undefined) throw new PatchError(`error while adding value during copy: ${addErr}`);
}

function opTest(root: Holder, op: Json6902Operation): void {
  const path = stringField(op, 'path');
  if (!path.ok) throw new PatchError(`test operation failed to decode path: ${path.err}`);
  const expected = opValue(op);
  if (path.value === '') {
    if (expected !== undefined && jsonEqual(root.doc, expected)) return;
    throw new PatchError(`testing value ${path.value} failed: test failed`);
  }
  const found = findObject(root, path.value);
  if (!found) throw new PatchError(`test operation does not apply: is missing path: ${path.value}: ${MISSING}`);
  const got = containerGet(found[0], found[1]);
  if (got.err !== undefined) throw new PatchError(`error in test for path: '${path.value}': ${got.err}`);
  const actual = got.value ?? null;
  if (actual === null) {
    // a missing (or null) value matches an absent or null expected value
    if (expected === undefined || expected === null) return;
    throw new PatchError(`testing value ${path.value} failed: test failed`);
  }
  if (expected === undefined) throw new PatchError(`testing value ${path.value} failed: test failed`);
  if (jsonEqual(actual, expected)) return;
  throw new PatchError(`testing value ${path.value} failed: test failed`);
}

/** lazyNode.equal: structural for objects/arrays, exact JSON text for scalars. */
function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i] as JsonValue));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k] as JsonValue, b[k] as JsonValue));
  }
  if (Array.isArray(b) || isJsonObject(b)) return false;
  // JSON numbers compare by value, whatever JS type holds them.
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return String(a) === String(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Go's json.Marshal of the patched document writes object keys in sorted order. */
function sortKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort(compareBytes)) out[k] = sortKeys(v[k] as JsonValue);
  return out;
}

function compareBytes(a: string, b: string): number {
  // UTF-8 byte order is code point order
  const ca = Array.from(a, (c) => c.codePointAt(0) as number);
  const cb = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    if (ca[i] !== cb[i]) return (ca[i] as number) - (cb[i] as number);
  }
  return ca.length - cb.length;
}
