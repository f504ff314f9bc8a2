import { yamlLibrary } from './yaml/library.js';
import { excessiveAliasing } from './yaml/alias-budget.js';
import { fastParsePiece } from './yaml/fast-parse.js';
import { resolvePlainV2 } from './yaml/go-scalars.js';
import { KustomizeError } from './errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { memoizeByText } from './parse-cache.js';

export const KUSTOMIZATION_API_VERSION = 'kustomize.config.k8s.io/v1beta1';
export const COMPONENT_API_VERSION = 'kustomize.config.k8s.io/v1alpha1';

export interface GvkSelector { group?: string; version?: string; kind?: string }
export interface FieldSpecConfig extends GvkSelector { path: string; create?: boolean }
export interface TargetSelector extends GvkSelector {
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}
export interface PatchConfig {
  path?: string;
  patch?: string;
  target?: TargetSelector;
  options?: { allowNameChange?: boolean; allowKindChange?: boolean };
}
export interface LabelConfig {
  pairs?: Record<string, string>;
  includeSelectors?: boolean;
  includeTemplates?: boolean;
  includeVolumeClaimTemplates?: boolean;
  fields?: FieldSpecConfig[];
}
export interface ImageConfig { name?: string; newName?: string; tagSuffix?: string; newTag?: string; digest?: string }
export interface ReplicaConfig { name?: string; count: number }
export interface VarConfig {
  name: string;
  objref: { apiVersion?: string; group?: string; version?: string; kind?: string; name: string; namespace?: string };
  fieldref?: { fieldPath?: string };
}
export interface GeneratorOptionsConfig {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  disableNameSuffixHash?: boolean;
  immutable?: boolean;
}
export interface GeneratorConfig {
  namespace?: string;
  name?: string;
  behavior?: string;
  literals?: string[];
  files?: string[];
  envs?: string[];
  env?: string;
  options?: GeneratorOptionsConfig;
  /** Secrets only. */
  type?: string;
}
export interface FieldOptionsConfig { delimiter?: string; index?: number; encoding?: string; create?: boolean }
export interface ReplacementConfig {
  path?: string;
  source?: TargetSelector & { fieldPath?: string; options?: FieldOptionsConfig };
  targets?: { select?: TargetSelector; reject?: TargetSelector[]; fieldPaths?: string[]; options?: FieldOptionsConfig }[];
  sourceValue?: string;
}
export interface SortOptionsConfig { order?: string; legacySortOptions?: { orderFirst?: string[]; orderLast?: string[] } }

/** A kustomization file, decoded the way kustomize decodes it (Go JSON rules: case-insensitive keys, unknown keys refused). */
export interface Kustomization {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  openapi?: Record<string, string>;
  namePrefix?: string;
  nameSuffix?: string;
  namespace?: string;
  commonLabels?: Record<string, string>;
  labels?: LabelConfig[];
  commonAnnotations?: Record<string, string>;
  patchesStrategicMerge?: string[];
  patchesJson6902?: PatchConfig[];
  patches?: PatchConfig[];
  images?: ImageConfig[];
  replacements?: ReplacementConfig[];
  replicas?: ReplicaConfig[];
  vars?: VarConfig[];
  sortOptions?: SortOptionsConfig;
  resources?: string[];
  components?: string[];
  crds?: string[];
  configMapGenerator?: GeneratorConfig[];
  secretGenerator?: GeneratorConfig[];
  generatorOptions?: GeneratorOptionsConfig;
  configurations?: string[];
  generators?: string[];
  transformers?: string[];
  validators?: string[];
  buildMetadata?: string[];
  helmCharts?: JsonValue[];
  helmGlobals?: JsonValue;
}

// A tiny description of the Go structs, enough to decode with Go's encoding/json semantics.
type FieldType = 'string' | 'bool' | 'int' | 'any' | { list: FieldType } | { map: 'string' } | { struct: StructType; name: string };
type StructType = Record<string, FieldType>;

const STRING_LIST: FieldType = { list: 'string' };
const STRING_MAP: FieldType = { map: 'string' };
const gvkFields: StructType = { group: 'string', version: 'string', kind: 'string' };
const selectorStruct: StructType = { ...gvkFields, name: 'string', namespace: 'string', labelSelector: 'string', annotationSelector: 'string' };
const fieldSpecStruct: StructType = { ...gvkFields, path: 'string', create: 'bool' };
const generatorOptionsStruct: StructType = { labels: STRING_MAP, annotations: STRING_MAP, disableNameSuffixHash: 'bool', immutable: 'bool' };
const generatorArgs: StructType = {
  namespace: 'string', name: 'string', behavior: 'string', literals: STRING_LIST, files: STRING_LIST, envs: STRING_LIST, env: 'string',
  options: { struct: generatorOptionsStruct, name: 'GeneratorOptions' },
};
const fieldOptions: FieldType = { struct: { delimiter: 'string', index: 'int', encoding: 'string', create: 'bool' }, name: 'FieldOptions' };
const patchStruct: FieldType = {
  struct: {
    path: 'string', patch: 'string', target: { struct: selectorStruct, name: 'Selector' },
    options: { struct: { allowNameChange: 'bool', allowKindChange: 'bool' }, name: 'PatchArgs' },
  },
  name: 'Patch',
};
const imageStruct: FieldType = { struct: { name: 'string', newName: 'string', tagSuffix: 'string', newTag: 'string', digest: 'string' }, name: 'Image' };

const KUSTOMIZATION: StructType = {
  kind: 'string',
  apiVersion: 'string',
  metadata: { struct: { name: 'string', namespace: 'string', labels: STRING_MAP, annotations: STRING_MAP }, name: 'ObjectMeta' },
  openapi: STRING_MAP,
  namePrefix: 'string',
  nameSuffix: 'string',
  namespace: 'string',
  commonLabels: STRING_MAP,
  labels: {
    list: {
      struct: { pairs: STRING_MAP, includeSelectors: 'bool', includeTemplates: 'bool', includeVolumeClaimTemplates: 'bool', fields: { list: { struct: fieldSpecStruct, name: 'FieldSpec' } } },
      name: 'Label',
    },
  },
  commonAnnotations: STRING_MAP,
  patchesStrategicMerge: STRING_LIST,
  patchesJson6902: { list: patchStruct },
  patches: { list: patchStruct },
  images: { list: imageStruct },
  imageTags: { list: imageStruct },
  replacements: {
    list: {
      struct: {
        path: 'string',
        source: { struct: { ...selectorStruct, fieldPath: 'string', options: fieldOptions }, name: 'SourceSelector' },
        targets: {
          list: {
            struct: {
              select: { struct: selectorStruct, name: 'Selector' },
              reject: { list: { struct: selectorStruct, name: 'Selector' } },
              fieldPaths: STRING_LIST,
              options: fieldOptions,
            },
            name: 'TargetSelector',
          },
        },
        sourceValue: 'string',
      },
      name: 'ReplacementField',
    },
  },
  replicas: { list: { struct: { name: 'string', count: 'int' }, name: 'Replica' } },
  vars: {
    list: {
      struct: {
        name: 'string',
        objref: { struct: { apiVersion: 'string', ...gvkFields, name: 'string', namespace: 'string' }, name: 'Target' },
        fieldref: { struct: { fieldPath: 'string' }, name: 'FieldSelector' },
      },
      name: 'Var',
    },
  },
  sortOptions: {
    struct: { order: 'string', legacySortOptions: { struct: { orderFirst: STRING_LIST, orderLast: STRING_LIST }, name: 'LegacySortOptions' } },
    name: 'SortOptions',
  },
  resources: STRING_LIST,
  components: STRING_LIST,
  crds: STRING_LIST,
  bases: STRING_LIST,
  configMapGenerator: { list: { struct: generatorArgs, name: 'ConfigMapArgs' } },
  secretGenerator: { list: { struct: { ...generatorArgs, type: 'string' }, name: 'SecretArgs' } },
  helmGlobals: 'any',
  helmCharts: { list: 'any' },
  helmChartInflationGenerator: { list: 'any' },
  generatorOptions: { struct: generatorOptionsStruct, name: 'GeneratorOptions' },
  configurations: STRING_LIST,
  generators: STRING_LIST,
  transformers: STRING_LIST,
  validators: STRING_LIST,
  buildMetadata: STRING_LIST,
};

/**
 * Decodes a kustomization file. Kustomize reads it with YAML 1.1 rules (sigs.k8s.io/yaml), then
 * Go's encoding/json with unknown fields disallowed: keys match case-insensitively
 * (`nameprefix` is `namePrefix`), an unknown key or a wrong type is an error.
 */
export function parseKustomization(text: string): Kustomization {
  return decodeKustomizationCached(text, '') as unknown as Kustomization;
}

const decodeKustomizationCached = memoizeByText((text) => decodeKustomization(text) as unknown as JsonObject);

function decodeKustomization(text: string): Kustomization {
  const raw: unknown = readYaml11(text) ?? {};
  if (!isJsonObject(raw)) {
    throw new KustomizeError('invalid Kustomization: json: cannot unmarshal array into Go value of type types.Kustomization');
  }
  const decoded = decodeStruct(raw, KUSTOMIZATION, 'Kustomization') as JsonObject;
  return fixKustomization(decoded as unknown as Kustomization & { bases?: string[]; imageTags?: ImageConfig[] });
}

/** A kustomization file's YAML 1.1 value: the fast path when it is plain block YAML, else the full parser. */
function readYaml11(text: string): unknown {
  if (!/^(---|\.\.\.)/m.test(text) && !text.startsWith('\uFEFF')) {
    const fast = fastParsePiece(text, resolvePlainV2);
    if (fast !== undefined) return fast.value;
  }
  const document = yamlLibrary().parseDocument(text, { version: '1.1', uniqueKeys: false, merge: true });
  if (document.errors.length > 0) {
    throw new KustomizeError(`invalid Kustomization: ${document.errors[0]!.message.split('\n')[0]}`);
  }
  const excessive = excessiveAliasing(document);
  if (excessive !== undefined) throw new KustomizeError(`invalid Kustomization: ${excessive}`);
  return document.toJS({ maxAliasCount: -1 });
}

function decodeStruct(raw: JsonObject, type: StructType, structName: string): JsonObject {
  const result: JsonObject = {};
  const fieldNames = Object.keys(type);
  for (const [key, value] of Object.entries(raw)) {
    // Go's encoding/json: an exact match first, else a case-insensitive one.
    const field = fieldNames.includes(key) ? key : fieldNames.find((name) => name.toLowerCase() === key.toLowerCase());
    if (field === undefined) throw new KustomizeError(`invalid Kustomization: json: unknown field "${key}"`);
    if (value === null) continue;
    result[field] = decodeValue(value as JsonValue, type[field]!, `${structName}.${field}`);
  }
  return result;
}

function decodeValue(value: JsonValue, type: FieldType, where: string): JsonValue {
  if (type === 'any') return value;
  if (type === 'string') {
    if (typeof value !== 'string') throw typeError(value, where, 'string');
    return value;
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw typeError(value, where, 'bool');
    return value;
  }
  if (type === 'int') {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(value, where, 'int');
    return value;
  }
  if ('list' in type) {
    if (!Array.isArray(value)) throw typeError(value, where, `[]${typeName(type.list)}`);
    return value.map((item) => (item === null ? defaultFor(type.list) : decodeValue(item, type.list, where)));
  }
  if ('map' in type) {
    if (!isJsonObject(value)) throw typeError(value, where, 'map[string]string');
    const result: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === null) {
        result[key] = '';
        continue;
      }
      if (typeof item !== 'string') throw typeError(item, where, 'string');
      result[key] = item;
    }
    return result;
  }
  if (!isJsonObject(value)) throw typeError(value, where, `types.${type.name}`);
  return decodeStruct(value, type.struct, type.name);
}

function defaultFor(type: FieldType): JsonValue {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'int') return 0;
  if (type === 'any') return null;
  if ('list' in type) return [];
  return {};
}

function typeName(type: FieldType): string {
  if (typeof type === 'string') return type === 'any' ? 'interface {}' : type;
  if ('list' in type) return `[]${typeName(type.list)}`;
  if ('map' in type) return 'map[string]string';
  return `types.${type.name}`;
}

function typeError(value: JsonValue, where: string, expected: string): KustomizeError {
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value;
  return new KustomizeError(`invalid Kustomization: json: cannot unmarshal ${actual} into Go struct field ${where} of type ${expected}`);
}

/** Kustomize's FixKustomization: fold deprecated fields into their successors. */
function fixKustomization(k: Kustomization & { bases?: string[]; imageTags?: ImageConfig[] }): Kustomization {
  if (!k.kind) k.kind = 'Kustomization';
  if (!k.apiVersion) k.apiVersion = k.kind === 'Component' ? COMPONENT_API_VERSION : KUSTOMIZATION_API_VERSION;
  if (k.bases) {
    k.resources = [...(k.resources ?? []), ...k.bases];
    delete k.bases;
  }
  if (k.imageTags) {
    k.images = [...(k.images ?? []), ...k.imageTags];
    delete k.imageTags;
  }
  for (const generator of [...(k.configMapGenerator ?? []), ...(k.secretGenerator ?? [])]) {
    if (generator.env) {
      generator.envs = [...(generator.envs ?? []), generator.env];
      delete generator.env;
    }
  }
  const helm = k as unknown as JsonObject;
  if (helm.helmChartInflationGenerator) delete helm.helmChartInflationGenerator;
  return k;
}

/** Kustomize's EnforceFields + CheckEmpty, with its messages. */
export function validateKustomization(k: Kustomization, root: string): void {
  const errors: string[] = [];
  if (k.kind !== 'Kustomization' && k.kind !== 'Component') errors.push('kind should be Kustomization or Component');
  const required = k.kind === 'Component' ? COMPONENT_API_VERSION : KUSTOMIZATION_API_VERSION;
  if (k.apiVersion !== required) errors.push(`apiVersion for ${k.kind} should be ${required}`);
  if (errors.length > 0) throw new KustomizeError(`Failed to read kustomization file under ${root}:\n${errors.join('\n')}`);
  const meaningful = Object.keys(k).filter((key) => key !== 'apiVersion' && key !== 'kind');
  if (meaningful.length === 0) throw new KustomizeError('kustomization.yaml is empty');
}
