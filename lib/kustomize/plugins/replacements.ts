import { KustomizeError } from '../errors.js';
import { cloneJson } from '../parse-cache.js';
import { lookupFieldPath, parseFieldPath, smarterPathSplit } from '../fieldspecs/fieldpath.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { FieldOptionsConfig, ReplacementConfig, TargetSelector } from '../kustomization.js';
import { parseLabelSelector } from '../resources/label-selector.js';
import type { Resource } from '../resources/resource.js';
import { DEFAULT_NAMESPACE, gvkIsSelected, makeResId, resIdString, type ResId } from '../resources/resource-id.js';
import type { ResourceList } from '../resources/resource-list.js';
import { resolvePlainV3 } from '../yaml/go-scalars.js';
import { emitYaml } from '../yaml/emit.js';
import { parseYamlDocuments } from '../yaml/parse.js';
import type { PluginContext, Transformer } from './plugin.js';
import {
  matchPath,
  rootSlot,
  tryParseScalarDocument,
  type NodeKind,
  type Slot,
} from './replacements-fieldpath.js';

const DEFAULT_FIELD_PATH = 'metadata.name';

type SourceConfig = NonNullable<ReplacementConfig['source']>;
type TargetConfig = NonNullable<ReplacementConfig['targets']>[number];

/**
 * The value a replacement copies. Scalars keep their text and YAML tag ('' = untagged, e.g. a
 * `sourceValue`, resolved as plain YAML when printed); maps and sequences are copied whole.
 */
type ReplacementValue = { kind: 'scalar'; text: string; tag: 'str' | 'int' | 'float' | 'bool' | 'null' | '' } | { kind: 'node'; value: JsonValue };

/** kustomize's ReplacementTransformer: `path:` entries are read when the plugin is configured. */
export function replacementTransformer(config: { replacements: ReplacementConfig[] }, context: PluginContext): Transformer {
  const replacements: ReplacementConfig[] = [];
  for (const entry of config.replacements) {
    if (entry.path && (entry.source !== undefined || (entry.targets?.length ?? 0) !== 0)) {
      throw new KustomizeError('cannot specify both path and inline replacement');
    }
    if (entry.path) {
      const text = context.loader.load(entry.path);
      // sigs.k8s.io/yaml reads only the first document.
      const content = parseYamlDocuments(text, entry.path)[0] ?? null;
      if (Array.isArray(content)) {
        replacements.push(...content.map((item) => decodeReplacement(item, entry.path!)));
      } else if (isJsonObject(content)) {
        replacements.push(decodeReplacement(content, entry.path));
      } else {
        const kind = content === null ? 'invalid' : typeof content === 'string' ? 'string' : typeof content === 'boolean' ? 'bool' : 'float64';
        throw new KustomizeError(`unsupported replacement type encountered within replacement path: ${kind}`);
      }
    } else {
      const { path: _path, ...inline } = entry;
      replacements.push(inline);
    }
  }
  return { transform: (resources) => applyReplacements(resources, replacements) };
}

/** kustomize's replacement Filter over the whole resource list. */
export function applyReplacements(resources: ResourceList, replacements: readonly ReplacementConfig[]): void {
  for (const replacement of replacements) {
    if ((replacement.sourceValue === undefined && replacement.source === undefined) || replacement.targets === undefined) {
      throw new KustomizeError('replacements must specify a source and at least one target');
    }
    const value = getReplacementValue(resources, replacement);
    for (const target of replacement.targets) applyToTargets(resources, value, target);
  }
}

// --- source ---------------------------------------------------------------------------------------

function getReplacementValue(resources: ResourceList, replacement: ReplacementConfig): ReplacementValue {
  if (replacement.sourceValue !== undefined && replacement.source !== undefined) {
    throw new KustomizeError('value and resource selectors are mutually exclusive');
  }
  if (replacement.sourceValue !== undefined) return { kind: 'scalar', text: replacement.sourceValue, tag: '' };
  const source = replacement.source!;
  const resource = selectSource(resources, source);
  const fieldPath = source.fieldPath || DEFAULT_FIELD_PATH;
  let found: JsonValue | undefined;
  try {
    found = lookupFieldPath(resource.obj, parseFieldPath(fieldPath, { syntax: 'dot', flavor: 'getter' }));
  } catch (error) {
    throw new KustomizeError(`error looking up replacement source: ${messageOf(error)}`, { cause: error });
  }
  if (found === undefined || found === null || (typeof found === 'object' && Object.keys(found).length === 0)) {
    throw new KustomizeError(`fieldPath \`${fieldPath}\` is missing for replacement source ${resIdString(sourceResId(source))}`);
  }
  return refineValue(source.options, valueOf(found));
}

function sourceResId(source: SourceConfig): ResId {
  return makeResId({ group: source.group ?? '', version: source.version ?? '', kind: source.kind ?? '' }, source.name ?? '', source.namespace ?? '');
}

/** SourceSelector.String(): `Kind.version.group/name.namespace[:fieldPath][:options]`. */
function describeSource(source: SourceConfig): string {
  const parts = [resIdString(sourceResId(source))];
  if (source.fieldPath) parts.push(source.fieldPath);
  const options = source.options;
  if (options && (options.delimiter || options.create)) parts.push(`${options.delimiter ?? ''}(${options.index ?? 0}), create=${options.create ?? false}`);
  return parts.join(':');
}

/** Current and previous ids, as kustomize's MakeResIds builds them (no cluster-scope knowledge). */
function resIdsOf(resource: Resource): ResId[] {
  return [resource.curId(), ...resource.previousIds()];
}

function namespaceOrDefault(namespace: string): string {
  return namespace === '' ? DEFAULT_NAMESPACE : namespace;
}

/** Exactly one resource must have an id matching the source selector (literal, not regex). */
function selectSource(resources: ResourceList, source: SourceConfig): Resource {
  const selector = sourceResId(source);
  let match: Resource | undefined;
  for (const resource of resources.resources()) {
    if (resource.object === null) continue;
    const selected = resIdsOf(resource).some(
      (id) =>
        (selector.name === '' || selector.name === id.name) &&
        (selector.namespace === '' || namespaceOrDefault(selector.namespace) === namespaceOrDefault(id.namespace)) &&
        gvkIsSelected(id, selector),
    );
    if (!selected) continue;
    if (match !== undefined) throw new KustomizeError(`multiple matches for selector ${describeSource(source)}`);
    match = resource;
  }
  if (match === undefined) throw new KustomizeError(`nothing selected by ${describeSource(source)}`);
  return match;
}

function valueOf(found: JsonValue): ReplacementValue {
  if (typeof found === 'object' && found !== null) return { kind: 'node', value: cloneJson(found) };
  return { kind: 'scalar', text: scalarText(found), tag: scalarTag(found) };
}

function scalarTag(value: JsonValue): 'str' | 'int' | 'float' | 'bool' | 'null' {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  return Number.isInteger(value) ? 'int' : 'float';
}

function scalarText(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return '';
  return String(value);
}

/** `options.delimiter`/`index` on the source: keep one part of the split value (same tag). */
function refineValue(options: FieldOptionsConfig | undefined, value: ReplacementValue): ReplacementValue {
  if (!options?.delimiter) return value;
  if (value.kind !== 'scalar') throw new KustomizeError('delimiter option can only be used with scalar nodes');
  const parts = value.text.split(options.delimiter);
  const index = options.index ?? 0;
  if (index >= parts.length || index < 0) {
    throw new KustomizeError(`options.index ${index} is out of bounds for value ${value.text}`);
  }
  return { ...value, text: parts[index]! };
}

// --- targets --------------------------------------------------------------------------------------

interface SelectorRegex {
  group?: RegExp;
  version?: RegExp;
  kind?: RegExp;
  name?: RegExp;
  namespace?: RegExp;
  empty: boolean;
}

function anchored(pattern: string | undefined): RegExp | undefined {
  if (!pattern) return undefined;
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (error) {
    throw new KustomizeError(`error creating target selector: ${messageOf(error)}`, { cause: error });
  }
}

function selectorRegex(selector: TargetSelector): SelectorRegex {
  return {
    group: anchored(selector.group),
    version: anchored(selector.version),
    kind: anchored(selector.kind),
    name: anchored(selector.name),
    namespace: anchored(selector.namespace),
    // ResId.IsEmpty: no gvk, name or namespace (label/annotation selectors don't count).
    empty: !selector.group && !selector.version && !selector.kind && !selector.name && !selector.namespace,
  };
}

/** Target ids are matched by regex against the raw namespace (no "default" folding). */
function regexSelects(regex: SelectorRegex, id: ResId): boolean {
  if (regex.group && !regex.group.test(id.group)) return false;
  if (regex.version && !regex.version.test(id.version)) return false;
  if (regex.kind && !regex.kind.test(id.kind)) return false;
  if (regex.name && !regex.name.test(id.name)) return false;
  if (regex.namespace && !regex.namespace.test(id.namespace)) return false;
  return true;
}

function matchesAnnotationsAndLabels(resource: Resource, selector: TargetSelector): boolean {
  if (selector.annotationSelector && !parseLabelSelector(selector.annotationSelector)(resource.annotations)) return false;
  if (selector.labelSelector && !parseLabelSelector(selector.labelSelector)(resource.labels)) return false;
  return true;
}

function applyToTargets(resources: ResourceList, value: ReplacementValue, target: TargetConfig): void {
  if (target.select === undefined) throw new KustomizeError('target must specify resources to select');
  const fieldPaths = target.fieldPaths && target.fieldPaths.length > 0 ? target.fieldPaths : [DEFAULT_FIELD_PATH];
  const select = selectorRegex(target.select);
  const rejects = (target.reject ?? []).map((reject) => ({ reject, regex: selectorRegex(reject) }));
  for (const resource of resources.resources()) {
    if (resource.object === null) continue;
    const ids = resIdsOf(resource);
    // Label/annotation parts of select and reject apply on their own...
    if (!matchesAnnotationsAndLabels(resource, target.select)) continue;
    const rejectedByLabels = rejects.some(
      ({ reject }) => (reject.annotationSelector || reject.labelSelector) && matchesAnnotationsAndLabels(resource, reject),
    );
    if (rejectedByLabels) continue;
    // ...and the id parts of a reject reject on any current or previous id.
    if (rejects.some(({ regex }) => !regex.empty && ids.some((id) => regexSelects(regex, id)))) continue;
    if (!ids.some((id) => regexSelects(select, id))) continue;
    copyValueToTarget(resource, value, fieldPaths, target.options);
  }
}

function fieldRetrievalError(fieldPath: string, create: boolean): string {
  return create
    ? `unable to find or create field ${JSON.stringify(fieldPath)} in replacement target`
    : `unable to find field ${JSON.stringify(fieldPath)} in replacement target`;
}

function kindOf(value: ReplacementValue): NodeKind {
  if (value.kind === 'scalar') return 'scalar';
  return Array.isArray(value.value) ? 'sequence' : 'map';
}

function copyValueToTarget(resource: Resource, value: ReplacementValue, fieldPaths: string[], options: FieldOptionsConfig | undefined): void {
  const create = options?.create ? kindOf(value) : undefined;
  for (const fieldPath of fieldPaths) {
    if (setInStructuredData(resource, value, fieldPath, options)) continue;
    const holder = { value: resource.obj as JsonValue };
    let targets: Slot[] | undefined;
    try {
      targets = matchPath(rootSlot(holder), smarterPathSplit(fieldPath, '.'), create);
    } catch (error) {
      throw new KustomizeError(`${fieldRetrievalError(fieldPath, create !== undefined)}: ${messageOf(error)}`, { cause: error });
    }
    if (targets === undefined || targets.length === 0) throw new KustomizeError(fieldRetrievalError(fieldPath, create !== undefined));
    for (const slot of targets) setFieldValue(options, slot, value);
  }
}

/** Writes the value into one target field (kustomize's setFieldValue). */
function setFieldValue(options: FieldOptionsConfig | undefined, slot: Slot, value: ReplacementValue): void {
  const current = slot.get();
  const targetIsScalar = current === undefined || current === null || typeof current !== 'object';
  let next = value;
  if (options?.delimiter) {
    if (!targetIsScalar) throw new KustomizeError('delimiter option can only be used with scalar nodes');
    const parts = scalarText(current).split(options.delimiter);
    const piece = value.kind === 'scalar' ? value.text : '';
    const index = options.index ?? 0;
    if (index < 0) parts.unshift(piece);
    else if (index >= parts.length) parts.push(piece);
    else parts[index] = piece;
    next = value.kind === 'scalar' ? { ...value, text: parts.join(options.delimiter) } : value;
  }
  if (targetIsScalar) {
    // Only the text is copied into a scalar: the target keeps its own type.
    const text = next.kind === 'scalar' ? next.text : '';
    slot.set(typedText(text, slot.untyped || current === null || current === undefined ? '' : scalarTag(current)));
    return;
  }
  slot.set(next.kind === 'scalar' ? typedText(next.text, next.tag) : cloneJson(next.value));
}

/** The value a scalar node with this text and tag prints as. */
function typedText(text: string, tag: 'str' | 'int' | 'float' | 'bool' | 'null' | ''): JsonValue {
  switch (tag) {
    case 'str':
      return text;
    case '':
    case 'null':
      return resolvePlainV3(text);
    case 'int':
    case 'float':
    case 'bool': {
      // A number/bool node given non-numeric text: kept as the text (kyaml would keep the tag).
      const resolved = resolvePlainV3(text);
      return typeof resolved === 'number' || typeof resolved === 'boolean' ? resolved : text;
    }
  }
}

// --- structured data inside scalars (kustomize v5.8) ---------------------------------------------

/**
 * kustomize's setValueInStructuredData: when a prefix of the path reaches a string holding
 * JSON/YAML (e.g. an annotation with a JSON document) and the rest of the path can be matched
 * inside it, the value is set there and the document is serialised back into the string.
 * Returns false to fall back to the normal path handling.
 */
function setInStructuredData(resource: Resource, value: ReplacementValue, fieldPath: string, options: FieldOptionsConfig | undefined): boolean {
  const parts = smarterPathSplit(fieldPath, '.');
  if (parts.length < 2) return false;
  for (let length = 1; length < parts.length; length++) {
    let scalar: JsonValue | undefined;
    let container: JsonObject | JsonValue[] | undefined;
    let key: string | number | undefined;
    try {
      ({ value: scalar, container, key } = lookupWithParent(resource.obj, parts.slice(0, length)));
    } catch {
      continue;
    }
    if (scalar === undefined || scalar === null || typeof scalar === 'object') continue;
    const text = String(scalar);
    const parsed = tryParseScalarDocument(text);
    if (!parsed.ok) continue;
    // The first scalar that parses as YAML decides; a failure below means "fall back".
    const holder = { value: parsed.value };
    try {
      const create = options?.create ? kindOf(value) : undefined;
      const slots = matchPath(rootSlot(holder), parts.slice(length), create);
      if (slots === undefined || slots.length === 0) return false;
      for (const slot of slots) setFieldValue(options, slot, value);
    } catch {
      return false;
    }
    const serialized = serializeStructured(holder.value, text);
    if (serialized === undefined) return false;
    if (Array.isArray(container)) container[key as number] = serialized;
    else if (container !== undefined) container[key as string] = serialized;
    return true;
  }
  return false;
}

function lookupWithParent(root: JsonObject, parts: string[]): { value: JsonValue | undefined; container?: JsonObject | JsonValue[]; key?: string | number } {
  const segments = parseFieldPath(parts.map(escapeDots).join('.'), { syntax: 'dot', flavor: 'getter' });
  const last = segments.pop();
  const parent = segments.length === 0 ? root : lookupFieldPath(root, segments);
  if (last === undefined || parent === undefined || parent === null) return { value: undefined };
  const value = lookupFieldPath(parent, [last]);
  if (value === undefined) return { value };
  if (isJsonObject(parent) && last.type === 'field') return { value, container: parent, key: last.name };
  if (Array.isArray(parent) && last.type === 'index') return { value, container: parent, key: last.index < 0 ? parent.length + last.index : last.index };
  if (Array.isArray(parent) && last.type === 'match') return { value, container: parent, key: parent.indexOf(value) };
  return { value: undefined };
}

/** Re-joining split parts for parseFieldPath: a part holding dots goes back in brackets. */
function escapeDots(part: string): string {
  return part.includes('.') && !part.startsWith('[') ? `[${part}]` : part;
}

/** JSON stays JSON (pretty when the original was indented), anything else becomes YAML. */
function serializeStructured(value: JsonValue, original: string): string | undefined {
  const first = original.trim()[0];
  if (first === '{' || first === '[') {
    const pretty = original.includes('\n') && original.includes('  ');
    return goJsonMarshal(value, pretty ? '  ' : '', '');
  }
  return emitYaml(value).trim();
}

/** Go's encoding/json of a decoded YAML value: map keys sorted, HTML characters escaped. */
function goJsonMarshal(value: JsonValue, indent: string, prefix: string): string {
  const newline = indent === '' ? '' : `\n${prefix}${indent}`;
  const close = indent === '' ? '' : `\n${prefix}`;
  const colon = indent === '' ? ':' : ': ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((item) => newline + goJsonMarshal(item, indent, prefix + indent)).join(',')}${close}]`;
  }
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length === 0) return '{}';
    return `{${keys.map((key) => `${newline}${goJsonString(key)}${colon}${goJsonMarshal(value[key]!, indent, prefix + indent)}`).join(',')}${close}}`;
  }
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

function goJsonString(text: string): string {
  return JSON.stringify(text)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// --- replacement files ----------------------------------------------------------------------------

/** sigs.k8s.io/yaml into types.Replacement: keys match case-insensitively, unknown keys ignored. */
function decodeReplacement(raw: JsonValue, fileName: string): ReplacementConfig {
  if (!isJsonObject(raw)) throw typeError(raw, 'Replacement', fileName);
  const result: ReplacementConfig = {};
  const source = field(raw, 'source');
  if (source !== undefined && source !== null) result.source = decodeSelector(source, ['fieldPath'], fileName) as SourceConfig;
  const sourceValue = field(raw, 'sourceValue');
  if (sourceValue !== undefined && sourceValue !== null) {
    if (typeof sourceValue !== 'string') throw typeError(sourceValue, 'Replacement.sourceValue', fileName);
    result.sourceValue = sourceValue;
  }
  const targets = field(raw, 'targets');
  if (targets !== undefined && targets !== null) {
    if (!Array.isArray(targets)) throw typeError(targets, 'Replacement.targets', fileName);
    result.targets = targets.map((item) => decodeTarget(item, fileName));
  }
  return result;
}

function decodeTarget(raw: JsonValue, fileName: string): TargetConfig {
  if (raw === null) return {};
  if (!isJsonObject(raw)) throw typeError(raw, 'Replacement.targets', fileName);
  const result: TargetConfig = {};
  const select = field(raw, 'select');
  if (select !== undefined && select !== null) result.select = decodeSelector(select, [], fileName) as TargetSelector;
  const reject = field(raw, 'reject');
  if (reject !== undefined && reject !== null) {
    if (!Array.isArray(reject)) throw typeError(reject, 'TargetSelector.reject', fileName);
    result.reject = reject.map((item) => (item === null ? {} : (decodeSelector(item, [], fileName) as TargetSelector)));
  }
  const fieldPaths = field(raw, 'fieldPaths');
  if (fieldPaths !== undefined && fieldPaths !== null) {
    if (!Array.isArray(fieldPaths)) throw typeError(fieldPaths, 'TargetSelector.fieldPaths', fileName);
    result.fieldPaths = fieldPaths.map((item) => {
      if (item !== null && typeof item !== 'string') throw typeError(item, 'TargetSelector.fieldPaths', fileName);
      return item ?? '';
    });
  }
  const options = field(raw, 'options');
  if (options !== undefined && options !== null) result.options = decodeOptions(options, fileName);
  return result;
}

const SELECTOR_STRINGS = ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'];

function decodeSelector(raw: JsonValue, extraStrings: string[], fileName: string): JsonObject {
  if (!isJsonObject(raw)) throw typeError(raw, 'Selector', fileName);
  const result: JsonObject = {};
  for (const name of [...SELECTOR_STRINGS, ...extraStrings]) {
    const value = field(raw, name);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw typeError(value, `Selector.${name}`, fileName);
    result[name] = value;
  }
  const options = extraStrings.length > 0 ? field(raw, 'options') : undefined;
  if (options !== undefined && options !== null) result.options = decodeOptions(options, fileName) as JsonObject;
  return result;
}

function decodeOptions(raw: JsonValue, fileName: string): FieldOptionsConfig {
  if (!isJsonObject(raw)) throw typeError(raw, 'FieldOptions', fileName);
  const result: FieldOptionsConfig = {};
  for (const name of ['delimiter', 'encoding'] as const) {
    const value = field(raw, name);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw typeError(value, `FieldOptions.${name}`, fileName);
    result[name] = value;
  }
  const index = field(raw, 'index');
  if (index !== undefined && index !== null) {
    if (typeof index !== 'number' || !Number.isInteger(index)) throw typeError(index, 'FieldOptions.index', fileName);
    result.index = index;
  }
  const create = field(raw, 'create');
  if (create !== undefined && create !== null) {
    if (typeof create !== 'boolean') throw typeError(create, 'FieldOptions.create', fileName);
    result.create = create;
  }
  return result;
}

/** Go's encoding/json key lookup: exact name first, else the last case-insensitive match. */
function field(raw: JsonObject, name: string): JsonValue | undefined {
  if (Object.hasOwn(raw, name)) return raw[name];
  const key = Object.keys(raw).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : raw[key];
}

function typeError(value: JsonValue, where: string, fileName: string): KustomizeError {
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value;
  return new KustomizeError(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${actual} into Go struct field ${where} (in ${fileName})`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

