import { yamlLibrary } from '../yaml/library.js';
import { excessiveAliasing } from '../yaml/alias-budget.js';
import { KustomizeError } from '../errors.js';
import {
  BUILTIN_COMMON_ANNOTATIONS,
  BUILTIN_COMMON_LABELS,
  BUILTIN_IMAGES,
  BUILTIN_NAME_PREFIX,
  BUILTIN_NAME_REFERENCE,
  BUILTIN_NAME_SUFFIX,
  BUILTIN_NAMESPACE,
  BUILTIN_REPLICAS,
  BUILTIN_TEMPLATE_LABELS,
  BUILTIN_VAR_REFERENCE,
  BUILTIN_VOLUME_CLAIM_TEMPLATE_LABELS,
} from './builtin.js';
import { gvkEquals, gvkIsSelected, sortByGvk } from './gvk.js';
import {
  FIELD_SPEC_LIST_KEYS,
  type FieldSpec,
  type FieldSpecListKey,
  type Gvk,
  type NameBackReferences,
  type TransformerConfig,
} from './types.js';

export function emptyTransformerConfig(): TransformerConfig {
  return {
    namePrefix: [],
    nameSuffix: [],
    namespace: [],
    commonLabels: [],
    labels: [],
    templateLabels: [],
    volumeClaimTemplateLabels: [],
    commonAnnotations: [],
    nameReference: [],
    varReference: [],
    images: [],
    replicas: [],
  };
}

let cachedDefault: TransformerConfig | undefined;

/**
 * Merge results by input identity. Configs are frozen once built, so a merge of the same two
 * configs always gives the same result: a build merges the shared default config at every
 * kustomization level, and recomputing that dominated build time. (A merge is not an identity
 * even with an empty side: kustomize's dedupe lets a kind-specific spec swallow a generic one.)
 */
const mergeCache = new WeakMap<TransformerConfig, WeakMap<TransformerConfig, TransformerConfig>>();

/** The shared, frozen empty config an accumulation starts from. */
export const EMPTY_TRANSFORMER_CONFIG: TransformerConfig = deepFreeze(emptyTransformerConfig());

function isEmptyConfig(config: TransformerConfig): boolean {
  return config.nameReference.length === 0 && FIELD_SPEC_LIST_KEYS.every((key) => config[key].length === 0);
}

/**
 * kustomize's MakeDefaultConfig: the built-in field specs, each list sorted by GVK the way
 * kustomize sorts a parsed config. Shared and frozen: callers must not mutate it.
 */
export function defaultTransformerConfig(): TransformerConfig {
  if (!cachedDefault) {
    const config: TransformerConfig = {
      ...emptyTransformerConfig(),
      namePrefix: [...BUILTIN_NAME_PREFIX],
      nameSuffix: [...BUILTIN_NAME_SUFFIX],
      namespace: [...BUILTIN_NAMESPACE],
      commonLabels: [...BUILTIN_COMMON_LABELS],
      templateLabels: [...BUILTIN_TEMPLATE_LABELS],
      volumeClaimTemplateLabels: [...BUILTIN_VOLUME_CLAIM_TEMPLATE_LABELS],
      commonAnnotations: [...BUILTIN_COMMON_ANNOTATIONS],
      nameReference: BUILTIN_NAME_REFERENCE.map((nbr) => ({ gvk: nbr.gvk, fieldSpecs: [...nbr.fieldSpecs] })),
      varReference: [...BUILTIN_VAR_REFERENCE],
      images: [...BUILTIN_IMAGES],
      replicas: [...BUILTIN_REPLICAS],
    };
    sortTransformerConfig(config);
    cachedDefault = deepFreeze(config);
  }
  return cachedDefault;
}

/**
 * Freezes a config, its lists, name references and field specs. It walks the known shape (every
 * build freezes the default config and a merge per kustomization level, so a generic walk over
 * Object.values was milliseconds of a small build); already frozen parts are shared ones.
 */
function deepFreeze(config: TransformerConfig): TransformerConfig {
  if (Object.isFrozen(config)) return config;
  for (const key of FIELD_SPEC_LIST_KEYS) freezeSpecs(config[key]);
  for (const nbr of config.nameReference) {
    if (Object.isFrozen(nbr)) continue;
    Object.freeze(nbr.gvk);
    freezeSpecs(nbr.fieldSpecs);
    Object.freeze(nbr);
  }
  Object.freeze(config.nameReference);
  return Object.freeze(config);
}

function freezeSpecs(specs: FieldSpec[]): void {
  for (const spec of specs) Object.freeze(spec);
  Object.freeze(specs);
}

export function cloneTransformerConfig(config: TransformerConfig): TransformerConfig {
  return structuredClone(config);
}

/**
 * kustomize's MakeTransformerConfig: the default config merged with the user's `configurations:`
 * files (already parsed, in kustomization order). The files are first merged among themselves,
 * then into the defaults, exactly as kustomize does (which matters only for conflict errors).
 */
export function makeTransformerConfig(userConfigs: readonly TransformerConfig[]): TransformerConfig {
  const defaults = defaultTransformerConfig();
  if (userConfigs.length === 0) return defaults;
  let user = emptyTransformerConfig();
  for (const config of userConfigs) user = mergeTransformerConfigs(user, config);
  return mergeTransformerConfigs(defaults, user);
}

// Names kustomize uses in "failed to merge X fieldSpec" messages.
const MERGE_LABEL: Record<FieldSpecListKey | 'nameReference', string> = {
  namePrefix: 'NamePrefix',
  nameSuffix: 'NameSuffix',
  namespace: 'NameSpace',
  commonAnnotations: 'CommonAnnotations',
  commonLabels: 'CommonLabels',
  labels: 'Labels',
  templateLabels: 'TemplateLabels',
  volumeClaimTemplateLabels: 'VolumeClaimTemplateLabels',
  varReference: 'VarReference',
  nameReference: 'NameReference',
  images: 'Images',
  replicas: 'Replicas',
};

/**
 * kustomize's TransformerConfig.Merge: `b`'s entries are appended to `a`'s unless an entry with
 * the same primary key is already there; then every list is sorted by GVK. Neither input is
 * modified. Throws "failed to merge <List> fieldSpec: conflicting fieldspecs" when two entries
 * share a primary key but disagree on `create`.
 *
 * Primary key (kustomize's effectivelyEquals) is deliberately asymmetric: an existing entry
 * swallows an incoming one with the same path when the incoming GVK *selects* the existing GVK,
 * so `{path: metadata/labels}` (any kind) is dropped if `{kind: Deployment, path: metadata/labels}`
 * is already present, but not the other way round.
 */
export function mergeTransformerConfigs(a: TransformerConfig, b: TransformerConfig | undefined): TransformerConfig {
  // Every config is kept sorted, so merging nothing into it changes nothing.
  if (!b || isEmptyConfig(b)) return a;
  const cached = mergeCache.get(a)?.get(b);
  if (cached) return cached;
  const merged = emptyTransformerConfig();
  for (const key of MERGE_ORDER) {
    try {
      if (key === 'nameReference') {
        merged.nameReference = mergeNameBackReferences(a.nameReference, b.nameReference);
      } else {
        merged[key] = mergeFieldSpecs(a[key], b[key]);
      }
    } catch (error) {
      throw new KustomizeError(`failed to merge ${MERGE_LABEL[key]} fieldSpec: ${(error as Error).message}`, { cause: error });
    }
  }
  sortTransformerConfig(merged);
  deepFreeze(merged);
  let byB = mergeCache.get(a);
  if (!byB) mergeCache.set(a, (byB = new WeakMap()));
  byB.set(b, merged);
  return merged;
}

// kustomize merges in this order; only visible in which conflict is reported first.
const MERGE_ORDER = [
  'namePrefix',
  'nameSuffix',
  'namespace',
  'commonAnnotations',
  'commonLabels',
  'labels',
  'templateLabels',
  'volumeClaimTemplateLabels',
  'varReference',
  'nameReference',
  'images',
  'replicas',
] as const;

/**
 * kustomize's FsSlice.MergeAll (see mergeTransformerConfigs for the dedupe rule). An incoming
 * spec is compared only with the specs of its path (the rule needs the same path), kept in input
 * order: every kustomization level merges a few hundred built-in specs, and comparing each with
 * all the others was most of a small build's time. Frozen specs (of merged configs) are shared.
 */
export function mergeFieldSpecs(existing: readonly FieldSpec[], incoming: readonly FieldSpec[]): FieldSpec[] {
  const result = existing.map((spec) => (Object.isFrozen(spec) ? spec : { ...spec }));
  const byPath = new Map<string, FieldSpec[]>();
  const index = (spec: FieldSpec) => {
    const samePath = byPath.get(spec.path);
    if (samePath === undefined) byPath.set(spec.path, [spec]);
    else samePath.push(spec);
  };
  for (const spec of result) index(spec);
  for (const spec of incoming) {
    const present = byPath.get(spec.path)?.find((candidate) => gvkIsSelected(candidate, spec));
    if (present === undefined) {
      const copy = { ...spec };
      result.push(copy);
      index(copy);
    } else if (Boolean(present.create) !== Boolean(spec.create)) {
      throw new KustomizeError('conflicting fieldspecs');
    }
  }
  return result;
}

/** kustomize's nbrSlice.mergeAll: same GVK (exactly) ⇒ referrer lists merged; else appended. */
export function mergeNameBackReferences(
  existing: readonly NameBackReferences[],
  incoming: readonly NameBackReferences[],
): NameBackReferences[] {
  // Frozen entries (of merged configs) are shared, not copied.
  let result = existing.map((nbr) =>
    Object.isFrozen(nbr) ? nbr : { gvk: { ...nbr.gvk }, fieldSpecs: nbr.fieldSpecs.map((spec) => ({ ...spec })) },
  );
  for (const other of incoming) {
    let found = false;
    result = result.map((nbr) => {
      if (!gvkEquals(nbr.gvk, other.gvk)) return nbr;
      found = true;
      return { gvk: nbr.gvk, fieldSpecs: mergeFieldSpecs(nbr.fieldSpecs, other.fieldSpecs) };
    });
    if (!found) result.push({ gvk: { ...other.gvk }, fieldSpecs: other.fieldSpecs.map((spec) => ({ ...spec })) });
  }
  return result;
}

/**
 * kustomize sorts every list by GVK (Gvk.IsLessThan) after parsing and after merging. Only the
 * top-level nameReference entries are sorted, not their referrers. Go's sort.Sort is not stable;
 * we use a stable sort, so entries with equal GVKs keep their input order (for the built-in
 * config this only reorders field specs whose application order does not change the result).
 */
export function sortTransformerConfig(config: TransformerConfig): void {
  for (const key of FIELD_SPEC_LIST_KEYS) sortByGvk(config[key], (spec) => spec);
  sortByGvk(config.nameReference, (nbr) => nbr.gvk);
}

const FIELD_SPEC_KEYS = new Set(['group', 'version', 'kind', 'path', 'create']);
const NBR_KEYS = new Set(['group', 'version', 'kind', 'fieldSpecs']);
const CONFIG_KEYS = new Set<string>([...FIELD_SPEC_LIST_KEYS, 'nameReference']);

/**
 * Parses a `configurations:` file (kustomize decodes it with sigs.k8s.io/yaml UnmarshalStrict — YAML 1.1, so `create: yes` is true — and unknown fields
 * and wrongly typed values are errors). The result is sorted like kustomize's parsed config.
 * An empty file is an empty config.
 */
export function parseTransformerConfig(text: string, fileName: string): TransformerConfig {
  const fail = (message: string): never => {
    throw new KustomizeError(`${fileName}: ${message}`);
  };
  const document = yamlLibrary().parseDocument(text, { uniqueKeys: true, version: '1.1' });
  if (document.errors.length > 0) fail(document.errors[0]!.message);
  const excessive = excessiveAliasing(document);
  if (excessive !== undefined) fail(excessive);
  const data: unknown = document.toJS({ maxAliasCount: -1 });
  const config = emptyTransformerConfig();
  if (data === null || data === undefined) return config;
  if (typeof data !== 'object' || Array.isArray(data)) {
    return fail(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonType(data)} into Go value of type builtinconfig.TransformerConfig`);
  }
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (!CONFIG_KEYS.has(key)) fail(`error unmarshaling JSON: while decoding JSON: json: unknown field "${key}"`);
    if (value === null) continue;
    if (!Array.isArray(value)) {
      fail(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonType(value)} into Go struct field TransformerConfig.${key}`);
    }
    const items = value as unknown[];
    if (key === 'nameReference') {
      config.nameReference = items.map((item) => parseNameBackReferences(item, fail));
    } else {
      config[key as FieldSpecListKey] = items.map((item) => parseFieldSpec(item, `${key}`, fail));
    }
  }
  sortTransformerConfig(config);
  return config;
}

function parseNameBackReferences(item: unknown, fail: (message: string) => never): NameBackReferences {
  const record = asRecord(item, 'nameReference', NBR_KEYS, fail);
  const gvk = parseGvkFields(record, 'nameReference', fail);
  const referrers = record.fieldSpecs;
  if (referrers !== undefined && referrers !== null && !Array.isArray(referrers)) {
    fail(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonType(referrers)} into Go struct field NameBackReferences.nameReference.fieldSpecs`);
  }
  const fieldSpecs = ((referrers as unknown[] | null | undefined) ?? []).map((spec) => parseFieldSpec(spec, 'nameReference.fieldSpecs', fail));
  return { gvk, fieldSpecs };
}

function parseFieldSpec(item: unknown, where: string, fail: (message: string) => never): FieldSpec {
  const record = asRecord(item, where, FIELD_SPEC_KEYS, fail);
  const spec: FieldSpec = { ...parseGvkFields(record, where, fail), path: '' };
  if (record.path !== undefined && record.path !== null) {
    if (typeof record.path !== 'string') fail(typeError(record.path, 'FieldSpec', `${where}.path`, 'string'));
    spec.path = record.path as string;
  }
  if (record.create !== undefined && record.create !== null) {
    if (typeof record.create !== 'boolean') fail(typeError(record.create, 'FieldSpec', `${where}.create`, 'bool'));
    if (record.create) spec.create = true;
  }
  return spec;
}

function parseGvkFields(record: Record<string, unknown>, where: string, fail: (message: string) => never): Gvk {
  const gvk: Gvk = {};
  for (const key of ['group', 'version', 'kind'] as const) {
    const value = record[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') fail(typeError(value, 'Gvk', `${where}.${key}`, 'string'));
    if (value !== '') gvk[key] = value as string;
  }
  return gvk;
}

function asRecord(item: unknown, where: string, allowed: Set<string>, fail: (message: string) => never): Record<string, unknown> {
  if (item === null || item === undefined) return {};
  if (typeof item !== 'object' || Array.isArray(item)) {
    return fail(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonType(item)} into Go struct field TransformerConfig.${where}`);
  }
  for (const key of Object.keys(item)) {
    if (!allowed.has(key)) fail(`error unmarshaling JSON: while decoding JSON: json: unknown field "${key}"`);
  }
  return item as Record<string, unknown>;
}

function typeError(value: unknown, struct: string, field: string, type: string): string {
  return `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonType(value)} into Go struct field ${struct}.${field} of type ${type}`;
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'object';
  return typeof value;
}
