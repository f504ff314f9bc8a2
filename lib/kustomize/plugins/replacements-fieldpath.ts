import { KustomizeError } from '../errors.js';
import { isJsonObject, type JsonValue } from '../json.js';
import { emitYaml } from '../yaml/emit.js';
import { resolvePlainV3 } from '../yaml/go-scalars.js';
import { parseYamlDocuments } from '../yaml/parse.js';

/**
 * A place in a value tree a replacement may write to. `untyped` marks a scalar that
 * kyaml created without a tag (its text is resolved as plain YAML when printed).
 */
export interface Slot {
  get(): JsonValue | undefined;
  set(value: JsonValue): void;
  untyped?: boolean;
}

/** What a created node starts as: kyaml creates leaves of the replacement value's node kind. */
export type NodeKind = 'scalar' | 'map' | 'sequence';

export function rootSlot(holder: { value: JsonValue }): Slot {
  return { get: () => holder.value, set: (value) => (holder.value = value) };
}

/** kyaml's IsIdxNumber: strconv.Atoi succeeds and the index is not negative. */
function isIdxNumber(part: string): boolean {
  return /^[+-]?\d+$/.test(part) && Number.parseInt(part, 10) >= 0;
}

function isListIndex(part: string): boolean {
  return part.startsWith('[') && part.endsWith(']');
}

function nodeKindOf(value: JsonValue | undefined): string {
  if (Array.isArray(value)) return 'SequenceNode';
  if (isJsonObject(value)) return 'MappingNode';
  return 'ScalarNode';
}

function wrongKind(expected: string, value: JsonValue | undefined): Error {
  return new Error(`wrong node kind: expected ${expected} but got ${nodeKindOf(value)}`);
}

/** kyaml's getPathPartKind: the kind of node to create for a part, given the part after it. */
function partKind(nextPart: string | undefined, create: NodeKind): NodeKind {
  if (nextPart === undefined || nextPart === '') return create;
  if (isListIndex(nextPart) || isIdxNumber(nextPart)) return 'sequence';
  return 'map';
}

function emptyNode(kind: NodeKind): JsonValue {
  return kind === 'map' ? {} : kind === 'sequence' ? [] : '';
}

/** The trimmed YAML text kyaml compares `[key=regex]` against. */
function matchText(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return emitYaml(value).trim();
  return String(value);
}

function compileRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new Error(`error parsing regexp: ${(error as Error).message}`);
  }
}

/**
 * kyaml's PathMatcher over a plain tree: every field reached by `path` (already split by the
 * SmarterPathSplitter). Integers index sequences, `*` visits every element, `[k=re]` matches
 * elements whose `k` field's text contains a match of the (unanchored) regex, `[=re]` scalar
 * elements. With `create`, missing fields, the element one past the end and unmatched `[k=v]`
 * elements are created. Returns undefined when nothing matched ("nil" in kyaml).
 */
export function matchPath(slot: Slot, path: readonly string[], create: NodeKind | undefined): Slot[] | undefined {
  if (path.length === 0) return [slot];
  const part = path[0]!;
  const rest = path.slice(1);
  if (isIdxNumber(part)) return matchIndex(slot, part, rest, create);
  if (isListIndex(part)) return matchElements(slot, part, rest, create);
  if (part === '*') return matchEvery(slot, rest, create);
  return matchField(slot, part, rest, create);
}

function sequenceOf(slot: Slot): JsonValue[] {
  const value = slot.get();
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw wrongKind('SequenceNode', value);
  return value;
}

function elementSlot(sequence: JsonValue[], index: number): Slot {
  return { get: () => sequence[index], set: (value) => (sequence[index] = value) };
}

function appendTo(slot: Slot, element: JsonValue): JsonValue[] {
  let value = slot.get();
  if (value === null || value === undefined) {
    value = [];
    slot.set(value);
  }
  if (!Array.isArray(value)) throw wrongKind('SequenceNode', value);
  value.push(element);
  return value;
}

function matchIndex(slot: Slot, part: string, rest: string[], create: NodeKind | undefined): Slot[] | undefined {
  const index = Number.parseInt(part, 10);
  let elements = sequenceOf(slot);
  let created = false;
  if (elements.length === index && create !== undefined) {
    elements = appendTo(slot, emptyNode(partKind(rest[0], create)));
    created = true;
  }
  if (elements.length < index + 1) throw new Error(`index ${index} specified but only ${elements.length} elements found`);
  const element = elementSlot(elements, index);
  if (created && rest.length === 0) element.untyped = true;
  return matchPath(element, rest, create);
}

function matchEvery(slot: Slot, rest: string[], create: NodeKind | undefined): Slot[] | undefined {
  const elements = sequenceOf(slot);
  let result: Slot[] | undefined;
  for (let index = 0; index < elements.length; index++) {
    const found = matchPath(elementSlot(elements, index), rest, create);
    if (found !== undefined) result = [...(result ?? []), ...found];
  }
  return result;
}

function matchElements(slot: Slot, part: string, rest: string[], create: NodeKind | undefined): Slot[] | undefined {
  const inner = part.slice(1, -1);
  const equals = inner.indexOf('=');
  if (equals === -1) throw new Error('list path element must contain fieldName=fieldValue for element to match');
  const key = inner.slice(0, equals);
  const pattern = inner.slice(equals + 1);
  const visit = (): Slot[] | undefined => {
    const elements = sequenceOf(slot);
    let result: Slot[] | undefined;
    for (let index = 0; index < elements.length; index++) {
      const element = elements[index]!;
      const regex = compileRegex(pattern);
      let text: string;
      if (key === '') {
        text = matchText(element);
      } else {
        if (!isJsonObject(element) || !Object.hasOwn(element, key)) continue;
        text = matchText(element[key]!);
      }
      if (!regex.test(text.trim())) continue;
      if (key === '') {
        // A matching scalar element is itself the match; the rest of the path is not followed.
        result = [...(result ?? []), elementSlot(elements, index)];
        continue;
      }
      const found = matchPath(elementSlot(elements, index), rest, create);
      if (found !== undefined) result = [...(result ?? []), ...found];
    }
    return result !== undefined && result.length === 0 ? undefined : result;
  };
  const found = visit();
  if (create === undefined || found !== undefined) return found;
  // Nothing matched: create the element the selector describes, then match again.
  const text = resolvePlainV3(pattern);
  appendTo(slot, key === '' ? text : { [key]: text });
  return visit();
}

function matchField(slot: Slot, name: string, rest: string[], create: NodeKind | undefined): Slot[] | undefined {
  const value = slot.get();
  if (value === null || value === undefined) return undefined;
  if (!isJsonObject(value)) throw wrongKind('MappingNode', value);
  let untyped = false;
  if (!Object.hasOwn(value, name)) {
    if (create === undefined) return undefined;
    value[name] = emptyNode(partKind(rest[0], create));
    untyped = rest.length === 0;
  }
  const field: Slot = { get: () => value[name], set: (next) => (value[name] = next) };
  if (untyped) field.untyped = true;
  const current = value[name]!;
  if (rest.length > 0 && current !== null && typeof current !== 'object') {
    // kyaml looks into a scalar holding YAML/JSON, but on a parsed copy: matches found there
    // are not written back (only setStructuredValue does that).
    const copy = { value: parseScalarDocument(String(current)) };
    return matchPath(rootSlot(copy), rest, create);
  }
  return matchPath(field, rest, create);
}

/** yaml.Unmarshal of a scalar's text into a node (an empty text is an empty document). */
export function parseScalarDocument(text: string): JsonValue {
  try {
    const documents = parseYamlDocuments(text, 'structured data');
    return documents[0] ?? null;
  } catch (error) {
    throw new Error((error as Error).message, { cause: error });
  }
}

export function tryParseScalarDocument(text: string): { ok: true; value: JsonValue } | { ok: false } {
  try {
    return { ok: true, value: parseScalarDocument(text) };
  } catch {
    return { ok: false };
  }
}

export function asKustomizeError(error: unknown): KustomizeError {
  return error instanceof KustomizeError ? error : new KustomizeError(error instanceof Error ? error.message : String(error), { cause: error });
}
