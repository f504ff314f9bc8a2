import { createHash } from 'node:crypto';
import { KustomizeError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';

/**
 * The name-suffix hash kustomize appends to generated ConfigMaps and Secrets (api/hasher).
 *
 * What goes into it, reproduced exactly:
 *  - ConfigMap: JSON of {kind, name, data[, binaryData]}; Secret: {kind, type, name, data[, stringData]},
 *    encoded like Go's encoding/json (keys sorted, `<>&` escaped as \u003c...);
 *  - `name` is ALWAYS "" — kustomize looks it up with the single path element "metadata/name",
 *    which names no field — so the hash depends on the content only (and prefixes/suffixes or
 *    renames never change it);
 *  - a missing `data` counts as "" (not {}), `binaryData`/`stringData` only when they are maps,
 *    a missing Secret `type` as "";
 *  - sha256 → hex → first 10 characters → 0→g 1→h 3→k a→m e→t (no vowels, no look-alikes).
 * node:crypto is used for sha256; it is a pure computation (no I/O), like the rest of lib/kustomize.
 */
export function hashConfigMap(configMap: JsonObject): string {
  const encoded: JsonObject = {
    kind: 'ConfigMap',
    name: '',
    data: contentValue(configMap.data),
  };
  if (isJsonObject(configMap.binaryData)) encoded.binaryData = configMap.binaryData;
  return encodeHash(sha256Hex(goJsonStringify(encoded)));
}

export function hashSecret(secret: JsonObject): string {
  const encoded: JsonObject = {
    kind: 'Secret',
    type: scalarText(secret.type),
    name: '',
    data: contentValue(secret.data),
  };
  if (isJsonObject(secret.stringData)) encoded.stringData = secret.stringData;
  return encodeHash(sha256Hex(goJsonStringify(encoded)));
}

/**
 * The hash kustomize computes for a resource that needs a suffix. Other kinds are hashed by
 * kustomize from its internal YAML node structure (line/column included), which cannot be
 * reproduced from a plain value tree: they are rejected rather than silently mis-hashed.
 */
export function hashResource(resource: JsonObject): string {
  switch (resource.kind) {
    case 'ConfigMap':
      return hashConfigMap(resource);
    case 'Secret':
      return hashSecret(resource);
    default:
      throw new KustomizeError(`cannot compute a name-suffix hash for kind ${JSON.stringify(resource.kind ?? '')}: only ConfigMap and Secret are supported`);
  }
}

/** kustomize's SortArrayAndComputeHash: hash of the JSON of the sorted strings (Go byte order). */
export function hashSortedStrings(values: readonly string[]): string {
  const sorted = [...values].sort(compareBytes);
  return encodeHash(sha256Hex(goJsonStringify(sorted)));
}

/** kustomize's encode: the first 10 hex digits with 0,1,3,a,e replaced by g,h,k,m,t. */
export function encodeHash(hex: string): string {
  if (hex.length < 10) throw new KustomizeError('input length must be at least 10');
  const replacements: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex.slice(0, 10)].map((char) => replacements[char] ?? char).join('');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

// kustomize reads data/type through a YAML lookup: a map stays a map; a scalar counts as its
// text; a missing (or null) field as "".
function contentValue(value: JsonValue | undefined): JsonValue {
  if (value === undefined || value === null) return '';
  if (isJsonObject(value)) return value;
  if (Array.isArray(value)) return null; // Go unmarshals a sequence into a map[string]any as nil.
  return String(value);
}

function scalarText(value: JsonValue | undefined): string {
  if (value === undefined || value === null || typeof value === 'object') return '';
  return String(value);
}

/**
 * JSON as Go's encoding/json writes it for map[string]interface{} values: no whitespace, map keys
 * sorted by bytes, and Go's string escaping (`<`, `>`, `&`, U+2028, U+2029 as \uXXXX; \b \f \n \r
 * \t short forms; other control characters as \u00XX).
 */
export function goJsonStringify(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new KustomizeError(`json: unsupported value: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(goJsonStringify).join(',')}]`;
  const keys = Object.keys(value).sort(compareBytes);
  return `{${keys.map((key) => `${goJsonString(key)}:${goJsonStringify(value[key]!)}`).join(',')}}`;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function goJsonString(text: string): string {
  let out = '"';
  for (const char of text) {
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) {
      out += short;
      continue;
    }
    const code = char.codePointAt(0)!;
    if (code < 0x20 || char === '<' || char === '>' || char === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate is not valid UTF-8; Go writes the replacement character.
      out += '\ufffd';
    } else {
      out += char;
    }
  }
  return `${out}"`;
}

/** Go compares strings by UTF-8 bytes; for BMP text that is code-point order. */
function compareBytes(a: string, b: string): number {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return Buffer.compare(ba, bb);
}
