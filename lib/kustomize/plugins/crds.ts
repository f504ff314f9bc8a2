import { yamlLibrary } from '../yaml/library.js';
import { emptyTransformerConfig, mergeTransformerConfigs } from '../fieldspecs/config.js';
import type { FieldSpec, TransformerConfig } from '../fieldspecs/types.js';
import { KustomizeError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../json.js';
import type { Loader } from '../loader.js';

type Gvk = { kind: string };

/**
 * `crds:` — OpenAPI definition files whose `x-kubernetes-*` property extensions tell kustomize
 * which custom-resource fields carry annotations, label selectors, names, and references to
 * other objects (kustomize's LoadConfigFromCRDs).
 */
export function loadCrdConfig(loader: Loader, paths: readonly string[]): TransformerConfig {
  let config = emptyTransformerConfig();
  for (const path of paths) {
    const content = loader.load(path);
    let definitions: unknown;
    try {
      definitions = content.startsWith('{') ? JSON.parse(content) : yamlLibrary().parse(content);
    } catch (error) {
      throw new KustomizeError(`unable to parse open API definition from '${path}': ${(error as Error).message}`);
    }
    if (!isJsonObject(definitions)) continue;
    for (const [typeName, definition] of Object.entries(definitions)) {
      if (!looksLikeKubernetesType(propertiesOf(definition))) continue;
      const kind = typeName.split('.').pop()!;
      const typeConfig = emptyTransformerConfig();
      collect(typeConfig, { kind }, definitions, typeName, []);
      config = mergeTransformerConfigs(config, typeConfig);
    }
  }
  return config;
}

function propertiesOf(definition: unknown): JsonObject {
  if (!isJsonObject(definition)) return {};
  const schema = definition.Schema ?? definition.schema;
  const properties = isJsonObject(schema) ? schema.properties : undefined;
  return isJsonObject(properties) ? properties : {};
}

function looksLikeKubernetesType(properties: JsonObject): boolean {
  return 'kind' in properties && 'apiVersion' in properties && 'metadata' in properties;
}

function collect(config: TransformerConfig, gvk: Gvk, definitions: JsonObject, typeName: string, path: string[]): void {
  if (!(typeName in definitions)) return;
  for (const [name, property] of Object.entries(propertiesOf(definitions[typeName]))) {
    if (!isJsonObject(property)) continue;
    const here = [...path, name];
    const extension = (key: string) => (typeof property[key] === 'string' ? (property[key] as string) : undefined);
    if (extension('x-kubernetes-annotation') !== undefined) config.commonAnnotations.push(fieldSpec(gvk, here));
    if (extension('x-kubernetes-label-selector') !== undefined) config.commonLabels.push(fieldSpec(gvk, here));
    if (extension('x-kubernetes-identity') !== undefined) config.namePrefix.push(fieldSpec(gvk, here));
    const version = extension('x-kubernetes-object-ref-api-version');
    const kind = extension('x-kubernetes-object-ref-kind');
    if (version !== undefined && kind !== undefined) {
      const nameKey = extension('x-kubernetes-object-ref-name-key') ?? 'name';
      config.nameReference.push({ gvk: { kind, version }, fieldSpecs: [fieldSpec(gvk, [...here, nameKey])] });
    }
    const ref = property.$ref;
    if (typeof ref === 'string' && ref !== '') collect(config, gvk, definitions, ref, here);
  }
}

function fieldSpec(gvk: Gvk, path: string[]): FieldSpec {
  return { kind: gvk.kind, path: path.join('/') };
}
