import { KustomizeError } from '../errors.js';
import type { FieldSpec } from '../fieldspecs/types.js';
import { isJsonObject, type JsonObject } from '../json.js';
import type { GeneratorConfig, ImageConfig, ReplacementConfig, TargetSelector } from '../kustomization.js';
import { Resource } from '../resources/resource.js';
import { gvkString, parseApiVersion, resIdString, makeResId } from '../resources/resource-id.js';
import { formatNumberLikeKustomize } from '../yaml/go-scalars.js';
import { configMapOrSecretGenerator } from './generators.js';
import { appendHashSuffixes } from './hash-names.js';
import { imageTagTransformer } from './image-tag.js';
import { mapEntriesTransformer } from './labels-annotations.js';
import { namespaceTransformer, type NamespaceConfig } from './namespace.js';
import { patchJson6902Transformer } from './patch-json6902.js';
import { patchStrategicMergeTransformer } from './patch-strategic-merge.js';
import { patchTransformer, type PatchTransformerConfig } from './patch.js';
import type { Generator, PluginContext, Transformer } from './plugin.js';
import { affixTransformer } from './prefix-suffix.js';
import { replacementTransformer } from './replacements.js';
import { replicaCountTransformer } from './replicas.js';
import { valueAddTransformer } from './value-add.js';

type Plugin = Generator | Transformer;
type Configure = (config: JsonObject, context: PluginContext) => Plugin;

const fieldSpecs = (config: JsonObject): FieldSpec[] | undefined => config.fieldSpecs as unknown as FieldSpec[] | undefined;
/**
 * A map[string]string of a plugin config: kustomize hands the config over as YAML and
 * sigs.k8s.io/yaml turns a number or boolean into the string a string field expects
 * (`tier: 51` is "51").
 */
const stringMap = (value: unknown): Record<string, string> | undefined => {
  if (!isJsonObject(value)) return undefined;
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    result[key] =
      typeof item === 'number' ? formatNumberLikeKustomize(item) : typeof item === 'boolean' || typeof item === 'bigint' ? String(item) : (item as string);
  }
  return result;
};

/**
 * The built-in plugins a kustomization may configure explicitly under `generators:` /
 * `transformers:` (`apiVersion: builtin`). External (exec/KRM function) plugins are refused, as
 * kustomize does with its default "builtins only" restriction.
 */
const BUILTINS: Record<string, Configure> = {
  AnnotationsTransformer: (c) => mapEntriesTransformer(stringMap(c.annotations), fieldSpecs(c) ?? []),
  LabelTransformer: (c) => mapEntriesTransformer(stringMap(c.labels), fieldSpecs(c) ?? []),
  HashTransformer: () => ({ transform: appendHashSuffixes }),
  ImageTagTransformer: (c) => imageTagTransformer((c.imageTag ?? {}) as ImageConfig, fieldSpecs(c) ?? []),
  NamespaceTransformer: (c) => {
    const metadata = isJsonObject(c.metadata) ? c.metadata : {};
    return namespaceTransformer({
      namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '',
      fieldSpecs: fieldSpecs(c) ?? [],
      unsetOnly: c.unsetOnly === true,
      setRoleBindingSubjects: (c.setRoleBindingSubjects ?? '') as NamespaceConfig['setRoleBindingSubjects'],
    });
  },
  PatchJson6902Transformer: (c, context) =>
    patchJson6902Transformer({ target: c.target as TargetSelector | undefined, path: c.path as string | undefined, jsonOp: c.jsonOp as string | undefined }, context),
  PatchStrategicMergeTransformer: (c, context) =>
    patchStrategicMergeTransformer({ paths: c.paths as string[] | undefined, patches: c.patches as string | undefined }, context),
  PatchTransformer: (c, context) => patchTransformer(c as PatchTransformerConfig, context),
  PrefixTransformer: (c) => affixTransformer('prefix', String(c.prefix ?? ''), fieldSpecs(c)),
  SuffixTransformer: (c) => affixTransformer('suffix', String(c.suffix ?? ''), fieldSpecs(c)),
  PrefixSuffixTransformer: (c) => {
    const prefix = affixTransformer('prefix', String(c.prefix ?? ''), fieldSpecs(c));
    const suffix = affixTransformer('suffix', String(c.suffix ?? ''), fieldSpecs(c));
    return { transform: (resources) => (prefix.transform(resources), suffix.transform(resources)) };
  },
  ReplacementTransformer: (c, context) => replacementTransformer({ replacements: (c.replacements ?? []) as ReplacementConfig[] }, context),
  ReplicaCountTransformer: (c) => {
    const replica = isJsonObject(c.replica) ? c.replica : {};
    return replicaCountTransformer({ name: replica.name as string | undefined, count: Number(replica.count ?? 0) }, fieldSpecs(c) ?? []);
  },
  ValueAddTransformer: (c, context) => valueAddTransformer(c, context),
  ConfigMapGenerator: (c, context) => configMapOrSecretGenerator('ConfigMap', generatorArgs(c), undefined, context),
  SecretGenerator: (c, context) => configMapOrSecretGenerator('Secret', generatorArgs(c), undefined, context),
  IAMPolicyGenerator: (c) => iamPolicyGenerator(c),
};

export function builtinPluginFromConfig(config: JsonObject, context: PluginContext): Plugin {
  const apiVersion = typeof config.apiVersion === 'string' ? config.apiVersion : '';
  const kind = typeof config.kind === 'string' ? config.kind : '';
  const { group, version } = parseApiVersion(apiVersion);
  if (group !== '' || version !== 'builtin') {
    throw new KustomizeError(`external plugins disabled; unable to load external plugin '${kind}'`, {
      hint: 'Stageline runs only kustomize\'s built-in plugins (apiVersion: builtin)',
    });
  }
  const configure = BUILTINS[kind];
  if (!configure) throw new KustomizeError(`unable to load builtin ${gvkString({ group, version, kind })}`);
  try {
    return configure(config, context);
  } catch (error) {
    const metadata = isJsonObject(config.metadata) ? config.metadata : {};
    const id = makeResId({ group, version, kind }, String(metadata.name ?? ''), String(metadata.namespace ?? ''));
    throw new KustomizeError(`plugin ${resIdString(id)} fails configuration: ${(error as Error).message}`, { cause: error });
  }
}

/** A ConfigMapGenerator/SecretGenerator plugin config carries its name and namespace in metadata. */
function generatorArgs(config: JsonObject): GeneratorConfig {
  const metadata = isJsonObject(config.metadata) ? config.metadata : {};
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = config;
  const args = rest as GeneratorConfig;
  return { ...args, name: args.name || (metadata.name as string | undefined), namespace: args.namespace || (metadata.namespace as string | undefined) };
}

function iamPolicyGenerator(config: JsonObject): Generator {
  const cloud = String(config.cloud ?? '');
  const service = isJsonObject(config.kubernetesService) ? config.kubernetesService : {};
  const account = isJsonObject(config.serviceAccount) ? config.serviceAccount : {};
  return {
    generate() {
      if (cloud !== 'gke') throw new KustomizeError(`cloud provider ${cloud} not supported yet`);
      const metadata: JsonObject = {
        annotations: { 'iam.gke.io/gcp-service-account': `${String(account.name ?? '')}@${String(account.projectId ?? '')}.iam.gserviceaccount.com` },
        name: String(service.name ?? ''),
      };
      if (service.namespace) metadata.namespace = String(service.namespace);
      return [new Resource({ apiVersion: 'v1', kind: 'ServiceAccount', metadata })];
    },
  };
}
