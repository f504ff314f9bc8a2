import { KustomizeError } from '../errors.js';
import type { FieldSpec } from '../fieldspecs/types.js';
import { visitFieldSpec } from '../fieldspecs/walk.js';
import { lookupFieldPath, parseDotSegment, smarterPathSplit, type FieldPathSegment } from '../fieldspecs/fieldpath.js';
import { isJsonObject, type JsonValue } from '../json.js';
import type { VarConfig } from '../kustomization.js';
import { DEFAULT_NAMESPACE, effectiveNamespace, gvkEquals, gvkString, type Gvk, type ResId } from '../resources/resource-id.js';
import type { ResourceList } from '../resources/resource-list.js';

const DEFAULT_FIELD_PATH = 'metadata.name';

/** A var's value: kustomize only substitutes these primitive kinds; maps/lists stay `$(VAR)`. */
type VarValue = string | number | bigint | boolean | JsonValue[] | { [key: string]: JsonValue } | null;

/** The gvk a var's objref names: `apiVersion` wins over group/version (kustomize's Target.GVK). */
export function varTargetGvk(v: VarConfig): Gvk {
  let { group = '', version = '' } = v.objref;
  if (v.objref.apiVersion) {
    const parts = v.objref.apiVersion.split('/');
    if (parts.length === 2) [group, version] = [parts[0]!, parts[1]!];
    if (parts.length === 1) version = parts[0]!;
  }
  return { group, version, kind: v.objref.kind ?? '' };
}

/** Go's `%v` of a types.Var: `{NAME Kind.version.group {fieldPath}}` (the objref prints as its gvk). */
function describeVar(v: VarConfig, fieldPath: string): string {
  return `{${v.name} ${gvkString(varTargetGvk(v))} {${fieldPath}}}`;
}

/**
 * kustomize's ResAccumulator.MergeVars resource side: the resource a var's objref names gets the
 * var name in `refVarNames` (current or previous ids, exact gvk + name; the namespace too when the
 * objref has one). Optional helper for the engine; it still owns the VarSet ("already encountered").
 */
export function attachVarsToResources(resources: ResourceList, vars: readonly VarConfig[]): void {
  for (const v of vars) {
    const gvk = varTargetGvk(v);
    const namespace = v.objref.namespace ?? '';
    const wanted = namespace === '' ? DEFAULT_NAMESPACE : namespace;
    const matches = resources.resources().filter((resource) => {
      if (resource.object === null) return false;
      const current = resource.curId();
      const ids: [ResId, string][] = [
        [current, effectiveNamespace(current)],
        ...resource.previousIds().map((id): [ResId, string] => [id, id.namespace === '' ? DEFAULT_NAMESPACE : id.namespace]),
      ];
      return ids.some(([id, idNamespace]) => id.name === v.objref.name && gvkEquals(id, gvk) && (namespace === '' || idNamespace === wanted));
    });
    if (matches.length > 1) {
      throw new KustomizeError(`found ${matches.length} resId matches for var ${describeVar(v, v.fieldref?.fieldPath ?? '')} (unable to disambiguate)`);
    }
    if (matches.length === 1) matches[0]!.refVarNames.push(v.name);
  }
}

/**
 * kustomize's ResAccumulator.ResolveVars: read every var's value from the resource that declared
 * it (refVarNames), then expand `$(VAR)` in every var-reference field.
 */
export function resolveVars(resources: ResourceList, vars: readonly VarConfig[], varReferenceSpecs: readonly FieldSpec[]): void {
  // kustomize's VarSet hands vars out sorted by name, which decides which error comes first.
  const sorted = [...vars].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const values = new Map<string, VarValue>();
  for (const v of sorted) values.set(v.name, findVarValue(resources, v));
  if (values.size === 0) return;
  const mapping = (name: string): string | number | bigint | boolean => {
    const value = values.get(name);
    if (value === undefined || value === null || typeof value === 'object') return `$(${name})`;
    return value;
  };
  for (const resource of resources.resources()) {
    if (resource.object === null) continue;
    for (const spec of varReferenceSpecs) {
      visitFieldSpec(resource.obj, spec, (field) => {
        const replaced = expandNode(field.value, mapping);
        if (replaced !== undefined) field.set(replaced);
      });
    }
  }
}

function findVarValue(resources: ResourceList, v: VarConfig): VarValue {
  const fieldPath = v.fieldref?.fieldPath || DEFAULT_FIELD_PATH;
  for (const resource of resources.resources()) {
    if (resource.object === null || !resource.refVarNames.includes(v.name)) continue;
    let value: JsonValue | undefined;
    try {
      value = lookupFieldPath(resource.obj, varFieldPathSegments(fieldPath));
    } catch {
      value = undefined;
    }
    if (value === undefined) {
      throw new KustomizeError(`field specified in var '${describeVar(v, fieldPath)}' not found in corresponding resource`);
    }
    return value;
  }
  throw new KustomizeError(`var '${describeVar(v, fieldPath)}' cannot be mapped to a field in the set of known resources`);
}

/**
 * kyaml's GetFieldValue path: split on dots (brackets kept together), `name[3]` becomes `name`,
 * `3`, then PathGetter rules (integers index, `-` is the last element, `[k=v]` matches).
 */
export function varFieldPathSegments(path: string): FieldPathSegment[] {
  const parts: string[] = [];
  for (const part of smarterPathSplit(path, '.')) {
    const match = part.endsWith(']') ? /^(.*)\[(\d+)\]$/s.exec(part) : null;
    if (match === null) {
      parts.push(part);
      continue;
    }
    if (match[1] !== '') parts.push(match[1]!);
    parts.push(match[2]!);
  }
  return parts
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => parseDotSegment(part, 'getter'));
}

type Mapping = (name: string) => string | number | bigint | boolean;

/** refvar.Filter.set: strings in scalars, in map values, in sequences (which must hold only strings). */
function expandNode(value: JsonValue, mapping: Mapping): JsonValue | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') return expandVars(value, mapping);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      if (typeof item !== 'string') throw new Error('invalid value type expect a string');
      value[index] = expandVars(item, mapping);
    }
    return undefined;
  }
  if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string') value[key] = expandVars(item, mapping);
    }
    return undefined;
  }
  // Numbers and booleans are not strings: left alone.
  return undefined;
}

/**
 * kustomize's refvar DoReplacements: `$(NAME)` is replaced by the mapping's value, `$$` is a
 * literal `$`, anything else after `$` is kept. When the whole input is exactly one `$(NAME)`
 * the mapped value is returned with its own type (a number stays a number).
 */
export function expandVars(input: string, mapping: Mapping): string | number | bigint | boolean {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close === -1) {
        out += '$(';
      } else {
        const name = rest.slice(1, close);
        const mapped = mapping(name);
        if (input === `$(${name})`) return mapped;
        out += formatGoValue(mapped);
        advance = close + 1;
      }
    } else {
      out += `$${rest[0]}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** Go's `%v` for the primitive var values. */
function formatGoValue(value: string | number | bigint | boolean): string {
  if (typeof value !== 'number' || Number.isInteger(value)) return String(value);
  // %v of a float64 is %g with the shortest digits, switching to exponent form at 1e21.
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 21) {
    const [mantissa, exp] = value.toExponential().split('e');
    const magnitude = Math.abs(Number(exp));
    return `${mantissa}e${Number(exp) < 0 ? '-' : '+'}${magnitude < 10 ? '0' : ''}${magnitude}`;
  }
  return String(value);
}

