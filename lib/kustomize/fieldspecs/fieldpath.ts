import { KustomizeError } from '../errors.js';
import { isJsonObject, type JsonValue } from '../json.js';
import { splitFieldSpecPath } from './walk.js';

/**
 * One step of a kyaml field path.
 *  - field:    a map key (`spec`, `app.kubernetes.io/name` when bracketed); `sequenceHint` is the
 *              `[]` suffix of field-spec paths;
 *  - index:    a sequence position (`0`); PathGetter also accepts `-` (= last element, index -1);
 *  - match:    `[key=value]` — the sequence element(s) whose `key` equals value (`[=value]`: a
 *              scalar element equal to value). PathMatcher (replacement targets) treats value as
 *              a regular expression, PathGetter (replacement sources) as a literal;
 *  - wildcard: `*`, every element of a sequence (PathMatcher only).
 */
export type FieldPathSegment =
  | { type: 'field'; name: string; sequenceHint?: boolean }
  | { type: 'index'; index: number }
  | { type: 'match'; key: string; value: string }
  | { type: 'wildcard' };

export interface ParseFieldPathOptions {
  /**
   * 'slash': kustomize field-spec paths (`spec/template/metadata/labels`, `\/` escapes, `[]`
   * hints); every segment is a field. 'dot': kyaml field paths used by replacements
   * (`spec.template.spec.containers.[name=nginx].image`, `metadata.annotations.[a.b/c]`).
   */
  syntax: 'slash' | 'dot';
  /**
   * How a dot path is interpreted: 'getter' (yaml.Lookup / PathGetter, replacement `source`):
   * any integer is an index (negative is an error) and `-` is the last element; `*` is
   * rejected. 'matcher' (yaml.PathMatcher, replacement `targets`): only non-negative integers are
   * indexes, `*` is a wildcard, `-` and negative numbers are plain field names. Default 'getter'.
   */
  flavor?: 'getter' | 'matcher';
}

/**
 * kyaml's SmarterPathSplitter: splits on `delimiter` (honouring `\` escapes), re-joining a
 * bracketed part that contained the delimiter. A bracketed part with `=` keeps its brackets (a
 * list selector: `[name=com.foo.app]`); one without loses them (a map key: `[a.b.c]` → `a.b.c`).
 */
export function smarterPathSplit(path: string, delimiter: string): string[] {
  const split = splitFieldSpecPath(path, delimiter);
  const result: string[] = [];
  for (let index = 0; index < split.length; index++) {
    const element = split[index]!;
    if (element.startsWith('[') && !element.endsWith(']')) {
      const bracketed = [element];
      while (index < split.length - 1) {
        index++;
        bracketed.push(split[index]!);
        if (split[index]!.endsWith(']')) break;
      }
      const joined = bracketed.join(delimiter);
      result.push(joined.includes('=') ? joined : trimBrackets(joined));
    } else {
      result.push(element);
    }
  }
  return result;
}

// Go's strings.Trim(s, "[]"): strips any run of '[' or ']' at both ends.
function trimBrackets(value: string): string {
  return value.replace(/^[[\]]+/, '').replace(/[[\]]+$/, '');
}

export function parseFieldPath(path: string, options: ParseFieldPathOptions): FieldPathSegment[] {
  if (options.syntax === 'slash') {
    return splitFieldSpecPath(path).map((segment) =>
      segment.endsWith('[]') ? { type: 'field', name: segment.slice(0, -2), sequenceHint: true } : { type: 'field', name: segment },
    );
  }
  const flavor = options.flavor ?? 'getter';
  // kyaml's PathGetter drops blank parts (and trims the others) before interpreting them.
  const parts = smarterPathSplit(path, '.');
  const cleaned = flavor === 'getter' ? parts.map((part) => part.trim()).filter((part) => part !== '') : parts;
  return cleaned.map((part) => parseDotSegment(part, flavor));
}

/** One part of a dotted field path, as kyaml's PathGetter (`getter`) or PathMatcher (`matcher`) reads it. */
export function parseDotSegment(part: string, flavor: 'getter' | 'matcher'): FieldPathSegment {
  // Go's strconv.Atoi accepts an optional sign and leading zeros.
  if (/^[+-]?\d+$/.test(part)) {
    const index = Number.parseInt(part, 10);
    if (flavor === 'getter') {
      if (index < 0) throw new KustomizeError(`array index ${index} cannot be negative`);
      return { type: 'index', index };
    }
    if (index >= 0) return { type: 'index', index };
    return { type: 'field', name: part };
  }
  if (part === '-' && flavor === 'getter') return { type: 'index', index: -1 };
  if (part === '*') {
    if (flavor === 'getter') throw new KustomizeError('wildcard is not supported in PathGetter');
    return { type: 'wildcard' };
  }
  if (part.startsWith('[') && part.endsWith(']')) {
    const inner = part.slice(1, -1);
    const equals = inner.indexOf('=');
    if (equals === -1) throw new KustomizeError('list path element must contain fieldName=fieldValue for element to match');
    return { type: 'match', key: inner.slice(0, equals), value: inner.slice(equals + 1) };
  }
  return { type: 'field', name: part };
}

/**
 * kyaml's yaml.Lookup (PathGetter without create) over a plain value tree: the value at the path,
 * or undefined when any step is missing (a null along the way also ends the lookup, but a null
 * at the end is returned). `[key=value]` picks the first element whose `key` field's scalar text
 * equals `value`; `[=value]` the first scalar element equal to it.
 */
export function lookupFieldPath(root: JsonValue, segments: readonly FieldPathSegment[]): JsonValue | undefined {
  let current: JsonValue | undefined = root;
  for (const segment of segments) {
    if (current === undefined || current === null) return undefined;
    switch (segment.type) {
      case 'field':
        if (!isJsonObject(current)) throw wrongKind('MappingNode', current);
        current = Object.hasOwn(current, segment.name) ? current[segment.name] : undefined;
        break;
      case 'index': {
        if (!Array.isArray(current)) throw wrongKind('SequenceNode', current);
        const index: number = segment.index < 0 ? current.length + segment.index : segment.index;
        current = index >= 0 && index < current.length ? current[index] : undefined;
        break;
      }
      case 'match':
        if (!Array.isArray(current)) throw wrongKind('SequenceNode', current);
        current = current.find((element) => elementMatches(element, segment.key, segment.value));
        break;
      case 'wildcard':
        throw new KustomizeError('wildcard is not supported in PathGetter');
    }
  }
  return current;
}

function elementMatches(element: JsonValue, key: string, value: string): boolean {
  if (key === '') return scalarText(element) === value;
  if (!isJsonObject(element) || !Object.hasOwn(element, key)) return false;
  return scalarText(element[key]!) === value;
}

/** The YAML text of a scalar, as kyaml compares it (`80`, `true`, `foo`). */
function scalarText(value: JsonValue): string | undefined {
  if (value === null) return undefined;
  if (typeof value === 'object') return undefined;
  return String(value);
}

function kindName(value: JsonValue): string {
  if (Array.isArray(value)) return 'SequenceNode';
  if (isJsonObject(value)) return 'MappingNode';
  return 'ScalarNode';
}

function wrongKind(expected: string, value: JsonValue): KustomizeError {
  // kyaml appends the node's YAML; we keep just the kinds.
  return new KustomizeError(`wrong node kind: expected ${expected} but got ${kindName(value)}`);
}
