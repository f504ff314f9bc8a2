import { KustomizeError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { fieldSpecMatches, resIdString, typeMetaOf } from './gvk.js';
import type { FieldSpec } from './types.js';

/**
 * What to create for a missing leaf when a field spec has `create: true` (kustomize's CreateKind):
 * labels/annotations/selectors use 'map', names/namespaces/replicas 'scalar'. Intermediate
 * missing fields are always created as maps. Without a CreateKind nothing is ever created, even
 * for `create: true` specs (kustomize's filters that never create pass none).
 */
export type CreateKind = 'map' | 'scalar' | 'sequence';

/** One field reached by a field path. */
export interface FieldVisit {
  /** The current value; `null` when the field exists but is null (kustomize still visits it). */
  value: JsonValue;
  /** Replaces the field's value in its parent map. */
  set(value: JsonValue): void;
  /** Concrete location from the root, sequence positions included: ['spec', 'containers', 0, 'image']. */
  location: (string | number)[];
}

export type FieldVisitor = (field: FieldVisit) => void;

/**
 * Splits a kustomize field-spec path: `/`-separated, `\/` keeps a slash inside a segment
 * (`metadata/annotations/example.com\/key`), one leading `/` is ignored. Segments keep a `[]`
 * suffix (the sequence hint); see walkFieldPath. Mirrors kyaml's PathSplitter, including that
 * only a backslash directly before `/` is an escape.
 */
export function splitFieldSpecPath(path: string, delimiter = '/'): string[] {
  let parts = path.split(delimiter);
  if (parts.length > 1 && parts[0] === '') parts = parts.slice(1);
  const result: string[] = [parts[0]!];
  for (const part of parts.slice(1)) {
    const last = result.length - 1;
    if (result[last]!.endsWith('\\')) {
      result[last] = `${result[last]!.slice(0, -1)}${delimiter}${part}`;
    } else {
      result.push(part);
    }
  }
  return result;
}

/**
 * Applies one field spec to a resource, like kustomize's api/filters/fieldspec Filter: nothing
 * happens unless the spec's GVK selects the object; errors are prefixed with
 * `considering field '<path>' of object <ResId>: ` (kustomize's wording).
 */
export function visitFieldSpec(obj: JsonObject, spec: FieldSpec, visit: FieldVisitor, options: { createKind?: CreateKind } = {}): void {
  if (!fieldSpecMatches(spec, typeMetaOf(obj))) return;
  try {
    walkFieldPath(obj, spec.path, spec.create ? options.createKind : undefined, visit);
  } catch (error) {
    throw new KustomizeError(`considering field '${spec.path}' of object ${resIdString(obj)}: ${messageOf(error)}`, { cause: error });
  }
}

/** kustomize's fsslice Filter: visitFieldSpec for each spec in order. */
export function visitFieldSpecs(
  obj: JsonObject,
  specs: readonly FieldSpec[],
  visit: FieldVisitor,
  options: { createKind?: CreateKind } = {},
): void {
  for (const spec of specs) visitFieldSpec(obj, spec, visit, options);
}

/**
 * Walks a kustomize field-spec path (no GVK check, no error prefix) and calls `visit` on every
 * field it reaches. The rules, all kustomize's:
 *  - a sequence met on the way is entered element by element with the SAME remaining path (paths
 *    never name sequence positions): `spec/containers/image` visits every container's image;
 *  - `name[]` marks `name` as a sequence: it is never created, but an existing null becomes `[]`;
 *  - a missing field ends the walk silently, unless `createKind` is given: then missing
 *    intermediate fields become `{}` and the missing leaf becomes the createKind's empty value;
 *    an existing null on the way is converted the same way;
 *  - a null reached before the end ends the walk silently; a null AT the end is visited;
 *  - a scalar reached before the end is an error ("expected sequence or mapping node"); errors
 *    inside a sequence are prefixed "visit traversal on path: [rest of path]: ";
 *  - an empty segment is an error ("cannot set or create an empty field name").
 * Errors thrown by `visit` propagate with the same prefixes, as in kustomize.
 */
export function walkFieldPath(root: JsonObject, path: string, createKind: CreateKind | undefined, visit: FieldVisitor): void {
  walk(root, splitFieldSpecPath(path), createKind, visit, []);
}

function walk(
  node: JsonValue,
  path: string[],
  createKind: CreateKind | undefined,
  visit: FieldVisitor,
  location: (string | number)[],
): void {
  if (node === null) return;
  if (Array.isArray(node)) {
    try {
      node.forEach((element, index) => walk(element, path, createKind, visit, [...location, index]));
    } catch (error) {
      // Go formats the remaining path with %v: "[a b c]".
      throw new Error(`visit traversal on path: [${path.join(' ')}]: ${messageOf(error)}`, { cause: error });
    }
    return;
  }
  if (!isJsonObject(node)) throw new Error('expected sequence or mapping node');
  walkMap(node, path, createKind, visit, location);
}

function walkMap(
  map: JsonObject,
  path: string[],
  createKind: CreateKind | undefined,
  visit: FieldVisitor,
  location: (string | number)[],
): void {
  const segment = path[0]!;
  const isSequenceHint = segment.endsWith('[]');
  // kyaml trims surrounding blanks from a lookup segment.
  const fieldName = (isSequenceHint ? segment.slice(0, -2) : segment).trim();
  if (fieldName === '') throw new Error('cannot set or create an empty field name');

  // Which kind the field must have if it has to be created (or is null): none when only looking up.
  let kind: CreateKind | undefined;
  let mayCreate = false;
  if (createKind === undefined || isSequenceHint) {
    kind = isSequenceHint ? 'sequence' : undefined;
  } else {
    kind = path.length <= 1 ? createKind : 'map';
    mayCreate = true;
  }

  if (!Object.hasOwn(map, fieldName)) {
    if (!mayCreate) return;
    map[fieldName] = emptyValue(kind!);
  } else if (map[fieldName] === null && kind !== undefined) {
    map[fieldName] = emptyValue(kind);
  }

  const rest = path.slice(1);
  const here = [...location, fieldName];
  if (rest.length === 0) {
    visit({
      value: map[fieldName]!,
      set: (value) => {
        map[fieldName] = value;
      },
      location: here,
    });
    return;
  }
  walk(map[fieldName]!, rest, createKind, visit, here);
}

function emptyValue(kind: CreateKind): JsonValue {
  switch (kind) {
    case 'map':
      return {};
    case 'sequence':
      return [];
    case 'scalar':
      return '';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
