import { makeConfigMap, makeSecret, type GeneratedResource, type GeneratorOptions, type SecretArgs } from '../generators/generators.js';
import type { GeneratorConfig } from '../kustomization.js';
import { Resource } from '../resources/resource.js';
import type { Generator, PluginContext } from './plugin.js';

/** configMapGenerator / secretGenerator entries as kustomize's ConfigMapGenerator / SecretGenerator plugins. */
export function configMapOrSecretGenerator(
  kind: 'ConfigMap' | 'Secret',
  args: GeneratorConfig,
  globalOptions: GeneratorOptions | undefined,
  context: PluginContext,
): Generator {
  return {
    generate() {
      const generatorContext = {
        globalOptions,
        loadFile: (path: string) => context.loader.loadBytes(path),
      };
      const fs = context.loader.fs;
      const generated =
        kind === 'ConfigMap'
          ? makeConfigMap(args, fs, context.loader.root, generatorContext)
          : makeSecret(args as SecretArgs, fs, context.loader.root, generatorContext);
      return [toResource(generated)];
    },
  };
}

function toResource(generated: GeneratedResource): Resource {
  const resource = new Resource(generated.resource);
  resource.behavior = generated.behavior;
  resource.needsHashSuffix = generated.needsHashSuffix;
  return resource;
}
