import { KustomizeError } from '../errors.js';
import type { FileSystem } from '../file-system.js';
import type { JsonObject } from '../json.js';
import { hashConfigMap, hashSecret } from './hash.js';
import {
  goList,
  KUSTOMIZE_VALIDATOR,
  loadGeneratorFile,
  parseEnvFile,
  parseFileSource,
  parseLiteralSource,
  type FileContent,
  type FileLoaderOptions,
  type KvPair,
  type KvValidator,
} from './kv.js';

/** `generatorOptions:` (kustomization-wide) or a generator's `options:`. */
export interface GeneratorOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  disableNameSuffixHash?: boolean;
  immutable?: boolean;
}

/** The key/value sources of a generator, in kustomize's field names. */
export interface KvPairSources {
  literals?: string[];
  files?: string[];
  envs?: string[];
  /** Deprecated singular form; kustomize appends it to `envs`. */
  env?: string;
}

export interface GeneratorArgs extends KvPairSources {
  name?: string;
  namespace?: string;
  /** create | replace | merge; anything else (or nothing) is "unspecified". */
  behavior?: string;
  options?: GeneratorOptions;
}

export type ConfigMapArgs = GeneratorArgs;

export interface SecretArgs extends GeneratorArgs {
  /** Secret type; default Opaque. */
  type?: string;
}

export type GenerationBehavior = 'unspecified' | 'create' | 'replace' | 'merge';

/** A generated ConfigMap/Secret plus what kustomize keeps beside it (not in the object itself). */
export interface GeneratedResource {
  resource: JsonObject;
  /** kustomize's behavior annotation: how it combines with a same-named generated resource from a base. */
  behavior: GenerationBehavior;
  /**
   * Whether the name gets the content-hash suffix. kustomize appends it only at the very end of
   * the build (after merges, labels, vars...), so the name here is still the bare one.
   */
  needsHashSuffix: boolean;
}

export interface GeneratorContext extends FileLoaderOptions {
  /** The kustomization's `generatorOptions:`, merged under the generator's own `options:`. */
  globalOptions?: GeneratorOptions;
  /** Key validation; default: kustomize's (accepts everything). */
  validator?: KvValidator;
  /** Replaces the default file loading (relative to `dir`, root-restricted). */
  loadFile?: (path: string) => FileContent;
}

/**
 * kustomize's MergeGlobalOptionsIntoLocal: local labels/annotations win key by key, globals fill
 * in the rest; either side's disableNameSuffixHash / immutable turns the flag on. Returns a new
 * object (kustomize mutates the local one).
 */
export function mergeGlobalOptionsIntoLocal(local: GeneratorOptions | undefined, global: GeneratorOptions | undefined): GeneratorOptions | undefined {
  if (!global) return local;
  const merged: GeneratorOptions = { ...(local ?? {}) };
  if (global.labels) merged.labels = { ...global.labels, ...(local?.labels ?? {}) };
  if (global.annotations) merged.annotations = { ...global.annotations, ...(local?.annotations ?? {}) };
  if (global.disableNameSuffixHash) merged.disableNameSuffixHash = true;
  if (global.immutable) merged.immutable = true;
  return merged;
}

/**
 * configMapGenerator entry → ConfigMap (kustomize generators.MakeConfigMap). Text values go to
 * `data`, values that are not valid UTF-8 (only detectable when the FileSystem has
 * readFileBytes) to `binaryData` as base64; keys sorted; `immutable: true` when asked.
 */
export function makeConfigMap(args: ConfigMapArgs, fs: FileSystem, dir: string, context: GeneratorContext = {}): GeneratedResource {
  const options = mergeGlobalOptionsIntoLocal(args.options, context.globalOptions);
  const resource = makeBase('ConfigMap', args);
  const data = loadValidatedData(args, fs, dir, context);
  // The first key to need it creates `data` or `binaryData`, so their order follows the keys.
  for (const key of sortedKeys(data)) {
    const value = data.get(key)!;
    const text = asUtf8(value);
    const field = text === undefined ? 'binaryData' : 'data';
    const target = (resource[field] ??= {}) as JsonObject;
    target[key] = text ?? encodeBase64(value as Uint8Array);
  }
  finish(resource, options);
  return { resource, behavior: behaviorOf(args.behavior), needsHashSuffix: !options?.disableNameSuffixHash };
}

/**
 * secretGenerator entry → Secret (kustomize generators.MakeSecret): `type` (default Opaque),
 * every value base64-encoded into `data` (always present, `{}` when empty), kustomize's 70-column
 * line wrapping for long values.
 */
export function makeSecret(args: SecretArgs, fs: FileSystem, dir: string, context: GeneratorContext = {}): GeneratedResource {
  const options = mergeGlobalOptionsIntoLocal(args.options, context.globalOptions);
  const resource = makeBase('Secret', args);
  resource.type = args.type ? args.type : 'Opaque';
  const data = loadValidatedData(args, fs, dir, context);
  const encoded: JsonObject = {};
  for (const key of sortedKeys(data)) {
    const value = data.get(key)!;
    encoded[key] = encodeBase64(typeof value === 'string' ? new TextEncoder().encode(value) : value);
  }
  resource.data = encoded;
  finish(resource, options);
  return { resource, behavior: behaviorOf(args.behavior), needsHashSuffix: !options?.disableNameSuffixHash };
}

/** Appends kustomize's content hash to a generated ConfigMap/Secret's name, in place. */
export function appendHashSuffix(resource: JsonObject): void {
  const hash = resource.kind === 'Secret' ? hashSecret(resource) : hashConfigMap(resource);
  const metadata = resource.metadata as JsonObject;
  metadata.name = `${String(metadata.name)}-${hash}`;
}

function makeBase(kind: 'ConfigMap' | 'Secret', args: GeneratorArgs): JsonObject {
  // kustomize says "configmap" for Secrets too.
  if (!args.name) throw new KustomizeError('a configmap must have a name');
  const metadata: JsonObject = { name: args.name };
  if (args.namespace) metadata.namespace = args.namespace;
  return { apiVersion: 'v1', kind, metadata };
}

function finish(resource: JsonObject, options: GeneratorOptions | undefined): void {
  const metadata = resource.metadata as JsonObject;
  const labels = options?.labels ?? {};
  const annotations = options?.annotations ?? {};
  if (Object.keys(labels).length > 0) {
    metadata.labels = Object.fromEntries(sortedKeys(new Map(Object.entries(labels))).map((key) => [key, labels[key]!]));
  }
  if (Object.keys(annotations).length > 0) {
    metadata.annotations = Object.fromEntries(
      sortedKeys(new Map(Object.entries(annotations))).map((key) => [key, annotations[key]!]),
    );
  }
  if (options?.immutable) resource.immutable = true;
}

/**
 * kustomize's kv loader + makeValidatedDataMap: pairs from envs, then literals, then files (that
 * order decides which duplicate is reported); every key validated; a repeated key is an error.
 */
function loadValidatedData(args: GeneratorArgs, fs: FileSystem, dir: string, context: GeneratorContext): Map<string, FileContent> {
  const validator = context.validator ?? KUSTOMIZE_VALIDATOR;
  const load = context.loadFile ?? ((path: string) => loadGeneratorFile(fs, dir, path, context));
  const envs = [...(args.envs ?? []), ...(args.env ? [args.env] : [])];
  const literals = args.literals ?? [];
  const files = args.files ?? [];

  let pairs: KvPair[];
  try {
    pairs = [
      ...withPrefix(`env source files: ${goList(envs)}`, () => envs.flatMap((path) => parseEnvFile(load(path), validator))),
      ...withPrefix(`literal sources ${goList(literals)}`, () => literals.map(parseLiteralSource)),
      ...withPrefix(`file sources: ${goList(files)}`, () =>
        files.map((source) => {
          const { key, path } = parseFileSource(source);
          return { key, value: load(path) };
        }),
      ),
    ];
  } catch (error) {
    throw new KustomizeError(`loading KV pairs: ${(error as Error).message}`, { cause: error });
  }

  const data = new Map<string, FileContent>();
  for (const pair of pairs) {
    validator.errIfInvalidKey(pair.key);
    if (data.has(pair.key)) {
      throw new KustomizeError(`configmap ${args.name} illegally repeats the key \`${pair.key}\``);
    }
    data.set(pair.key, pair.value);
  }
  return data;
}

function withPrefix<T>(prefix: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new KustomizeError(`${prefix}: ${(error as Error).message}`, { cause: error });
  }
}

function behaviorOf(behavior: string | undefined): GenerationBehavior {
  return behavior === 'create' || behavior === 'replace' || behavior === 'merge' ? behavior : 'unspecified';
}

/** The text of a value if it is valid UTF-8, else undefined. */
function asUtf8(value: FileContent): string | undefined {
  if (typeof value === 'string') return value;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(value);
  } catch {
    return undefined;
  }
}

/**
 * kyaml's encodeBase64: standard base64 cut into 70-character lines; once there is more than one
 * line (encoded length ≥ 70) EVERY line, the last included, ends with "\n".
 */
export function encodeBase64(bytes: Uint8Array | string): string {
  const encoded = Buffer.from(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes).toString('base64');
  const lineLength = 70;
  if (Math.floor(encoded.length / lineLength) + 1 <= 1) return encoded;
  let out = '';
  for (let index = 0; index < encoded.length; index += lineLength) out += `${encoded.slice(index, index + lineLength)}\n`;
  return out;
}

// Go sorts map keys by bytes.
function sortedKeys(map: Map<string, unknown>): string[] {
  return [...map.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}
