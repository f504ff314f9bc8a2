import { posix } from 'node:path';
import { validateSelector } from './resources/resource-list.js';
import { Accumulator } from './accumulator.js';
import { KustomizeError } from './errors.js';
import { makeTransformerConfig, parseTransformerConfig } from './fieldspecs/config.js';
import { mergeFieldSpecs } from './fieldspecs/config.js';
import type { FieldSpec, TransformerConfig } from './fieldspecs/types.js';
import type { JsonObject } from './json.js';
import { kustomizationFilesIn } from './kustomization-file.js';
import { parseKustomization, validateKustomization, type Kustomization } from './kustomization.js';
import { Loader } from './loader.js';
import { configMapOrSecretGenerator } from './plugins/generators.js';
import { appendHashSuffixes } from './plugins/hash-names.js';
import { imageTagTransformer } from './plugins/image-tag.js';
import { mapEntriesTransformer } from './plugins/labels-annotations.js';
import { fixNameReferences } from './plugins/name-reference.js';
import { namespaceTransformer } from './plugins/namespace.js';
import { patchJson6902Transformer } from './plugins/patch-json6902.js';
import { patchStrategicMergeTransformer } from './plugins/patch-strategic-merge.js';
import { patchTransformer } from './plugins/patch.js';
import type { Generator, PluginContext, Transformer } from './plugins/plugin.js';
import { affixTransformer } from './plugins/prefix-suffix.js';
import { replacementTransformer } from './plugins/replacements.js';
import { replicaCountTransformer } from './plugins/replicas.js';
import { resolveVars } from './plugins/vars.js';
import { loadCrdConfig } from './plugins/crds.js';
import { builtinPluginFromConfig } from './plugins/builtin-plugins.js';
import { resourcesFromText } from './resources/resource-factory.js';
import { appendOriginPath, builtinOrigin, type Origin } from './resources/origin.js';
import type { Resource } from './resources/resource.js';
import type { ResourceList } from './resources/resource-list.js';

const LOCAL_CONFIG_ANNOTATION = 'config.kubernetes.io/local-config';

/** One kustomization directory being built (kustomize's KustTarget). */
export class KustTarget {
  private constructor(
    readonly loader: Loader,
    readonly kustomization: Kustomization,
    readonly fileName: string,
  ) {}

  /** Set when buildMetadata asks for origins/transformations: the path from the top kustomization. */
  private origin: Origin | undefined;

  static load(loader: Loader): KustTarget {
    const files = kustomizationFilesIn(loader.fs, loader.root);
    if (files.length === 0) {
      throw new KustomizeError(
        `unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '${loader.root}'`,
        { hint: 'a kustomization directory needs a kustomization.yaml' },
      );
    }
    if (files.length > 1) throw new KustomizeError(`Found multiple kustomization files under: ${loader.root}\n`);
    const fileName = posix.basename(files[0]!);
    let kustomization: Kustomization;
    try {
      kustomization = parseKustomization(loader.load(fileName));
      validateKustomization(kustomization, loader.root);
    } catch (error) {
      // Kustomize's own text stays the message; the hint says which file to fix.
      throw new KustomizeError((error as Error).message, { hint: `fix ${posix.join(loader.root, fileName)}`, cause: error });
    }
    if (kustomization.openapi?.version && kustomization.openapi.version !== 'v1.21.2') {
      throw new KustomizeError('the specified OpenAPI version is not built in', { hint: 'the only built-in Kubernetes OpenAPI version is v1.21.2' });
    }
    if (kustomization.helmCharts?.length || kustomization.helmGlobals) {
      throw new KustomizeError(`${posix.join(loader.root, fileName)}: helmCharts are not supported by Stageline's Kustomize engine`, {
        hint: 'render the chart in the build stage and list the rendered YAML under resources:',
      });
    }
    return new KustTarget(loader, kustomization, fileName);
  }

  private get context(): PluginContext {
    return { loader: this.loader };
  }

  /** The top-level build: accumulate, then hash names, fix references, expand vars, drop local config. */
  makeCustomizedResources(): ResourceList {
    if (this.kustomization.buildMetadata?.length) this.origin = {};
    const accumulator = this.accumulateTarget(new Accumulator());
    appendHashSuffixes(accumulator.resources);
    fixNameReferences(accumulator.resources, accumulator.config.nameReference);
    resolveVars(accumulator.resources, accumulator.vars, accumulator.config.varReference);
    for (const resource of accumulator.resources.resources()) {
      const local = resource.annotations[LOCAL_CONFIG_ANNOTATION];
      if (local !== undefined && local !== 'false') accumulator.resources.remove(resource);
    }
    return accumulator.resources;
  }

  accumulateTarget(accumulator: Accumulator): Accumulator {
    const k = this.kustomization;
    try {
      this.accumulateResources(accumulator, k.resources ?? []);
    } catch (error) {
      throw wrap(error, 'accumulating resources');
    }
    accumulator.mergeConfig(this.transformerConfig());
    if (k.crds?.length) {
      try {
        accumulator.mergeConfig(loadCrdConfig(this.loader, k.crds));
      } catch (error) {
        throw wrap(error, `loading CRDs [${k.crds.join(' ')}]`);
      }
    }
    this.runGenerators(accumulator);
    let result = accumulator;
    try {
      for (const path of k.components ?? []) result = this.accumulateComponent(result, path);
    } catch (error) {
      throw wrap(error, 'accumulating components');
    }
    this.runTransformers(result);
    if (k.validators?.length) {
      throw new KustomizeError('validators are not supported by Stageline\'s Kustomize engine (they need exec plugins)');
    }
    result.mergeVars(k.vars ?? []);
    return result;
  }

  private transformerConfig(): TransformerConfig {
    const paths = this.kustomization.configurations ?? [];
    return makeTransformerConfig(paths.map((path) => parseTransformerConfig(this.loader.load(path), path)));
  }

  private accumulateResources(accumulator: Accumulator, paths: readonly string[]): void {
    for (const path of paths) {
      // Kustomize tries every entry as a file first and reports that failure too when the
      // directory fails; for a directory the file attempt's error is computed only if needed.
      let fileError: unknown;
      const fileFailure = () => (fileError ??= this.fileLoadError(path));
      if (!this.loader.isDirectory(path)) {
        try {
          this.accumulateFile(accumulator, path);
          continue;
        } catch (error) {
          fileError = error;
        }
      }
      let child: Loader;
      try {
        child = this.loader.child(path);
      } catch (error) {
        if (messageOf(fileFailure()).includes('MalformedYAMLError')) throw fileFailure();
        throw new KustomizeError(`accumulation err='${messageOf(fileFailure())}': ${messageOf(error)}`, { cause: error });
      }
      try {
        this.accumulateDirectory(accumulator, child, path, false);
      } catch (error) {
        throw wrap(error, `accumulation err='${messageOf(fileFailure())}'`);
      }
    }
  }

  private fileLoadError(path: string): unknown {
    try {
      this.accumulateFile(new Accumulator(), path);
    } catch (error) {
      return error;
    }
    return new KustomizeError(`accumulating resources from '${path}': not a file`);
  }

  private accumulateFile(accumulator: Accumulator, path: string): void {
    let resources: Resource[];
    try {
      const text = this.loader.load(path);
      resources = resourcesFromText(text, path);
    } catch (error) {
      throw wrap(error, `accumulating resources from '${path}'`);
    }
    if (this.origin) {
      for (const resource of resources) resource.origin = appendOriginPath(this.origin, path);
    }
    try {
      accumulator.resources.appendAll(resources);
    } catch (error) {
      throw wrap(error, `merging resources from '${path}'`);
    }
  }

  private accumulateComponent(accumulator: Accumulator, path: string): Accumulator {
    let child: Loader;
    try {
      child = this.loader.child(path);
    } catch (error) {
      throw new KustomizeError(`loader.New ${goQuote(messageOf(error))}`, { cause: error });
    }
    try {
      return this.accumulateDirectory(accumulator, child, path, true);
    } catch (error) {
      throw new KustomizeError(`accumulateDirectory: ${goQuote(messageOf(error))}`, { cause: error });
    }
  }

  private accumulateDirectory(accumulator: Accumulator, loader: Loader, entry: string, isComponent: boolean): Accumulator {
    let sub: KustTarget;
    try {
      sub = KustTarget.load(loader);
    } catch (error) {
      throw wrap(error, `couldn't make target for path '${loader.root}'`);
    }
    sub.kustomization.buildMetadata = this.kustomization.buildMetadata;
    sub.origin = this.origin ? appendOriginPath(this.origin, entry) : undefined;
    if (isComponent && sub.kustomization.kind !== 'Component') {
      throw new KustomizeError(`expected kind 'Component' for path '${loader.root}' but got '${sub.kustomization.kind}'`);
    }
    if (!isComponent && sub.kustomization.kind === 'Component') {
      throw new KustomizeError(`expected kind != 'Component' for path '${loader.root}'`);
    }
    let subResult: Accumulator;
    try {
      subResult = isComponent ? sub.accumulateTarget(accumulator) : sub.accumulateTarget(new Accumulator());
    } catch (error) {
      throw wrap(error, `recursed accumulation of path '${loader.root}'`);
    }
    if (isComponent) return subResult;
    try {
      accumulator.mergeAccumulator(subResult);
    } catch (error) {
      throw wrap(error, `recursed merging from path '${loader.root}'`);
    }
    return accumulator;
  }

  // --- generators ----------------------------------------------------------------------------------

  private runGenerators(accumulator: Accumulator): void {
    const k = this.kustomization;
    const generators: { generator: Generator; origin?: Origin }[] = [];
    const builtin = (kind: string) => (this.origin ? builtinOrigin(this.origin, this.fileName, kind) : undefined);
    for (const args of k.configMapGenerator ?? []) {
      generators.push({ generator: configMapOrSecretGenerator('ConfigMap', args, k.generatorOptions, this.context), origin: builtin('ConfigMapGenerator') });
    }
    for (const args of k.secretGenerator ?? []) {
      generators.push({ generator: configMapOrSecretGenerator('Secret', args, k.generatorOptions, this.context), origin: builtin('SecretGenerator') });
    }
    for (const { config, origin } of this.pluginConfigs(k.generators ?? [])) {
      const plugin = builtinPluginFromConfig(config, this.context);
      if (!('generate' in plugin)) throw new KustomizeError(`plugin ${String(config.kind)} not a generator`);
      generators.push({ generator: plugin, origin });
    }
    for (const { generator, origin } of generators) {
      const generated = generator.generate();
      if (origin) for (const resource of generated) resource.origin ??= origin;
      try {
        accumulator.resources.absorbAll(generated);
      } catch (error) {
        throw wrap(error, 'merging from generator');
      }
    }
  }

  // --- transformers --------------------------------------------------------------------------------

  private runTransformers(accumulator: Accumulator): void {
    const transformers = [...this.builtinTransformers(accumulator.config)];
    for (const { config, origin } of this.pluginConfigs(this.kustomization.transformers ?? [])) {
      const plugin = builtinPluginFromConfig(config, this.context);
      if (!('transform' in plugin)) throw new KustomizeError(`plugin ${String(config.kind)} not a transformer`);
      transformers.push({ transformer: plugin, origin });
    }
    const resources = accumulator.resources;
    for (const { transformer, origin } of transformers) {
      transformer.transform(resources);
      if (origin) {
        // Kustomize stamps every resource, touched or not: the origin if it has none, else a transformation.
        for (const resource of resources.resources()) {
          if (resource.origin === undefined) resource.origin = origin;
          else (resource.transformations ??= []).push(origin);
        }
      }
      resources.reset(resources.resources());
    }
  }

  /** The kustomization's own fields as kustomize's built-in transformers, in kustomize's order. */
  private builtinTransformers(config: TransformerConfig): { transformer: Transformer; origin?: Origin }[] {
    const k = this.kustomization;
    const list: [string, Transformer][] = [];
    const result = { push: (kind: string, ...transformers: Transformer[]) => list.push(...transformers.map((t) => [kind, t] as [string, Transformer])) };
    if (k.patchesStrategicMerge?.length) result.push('PatchStrategicMergeTransformer', patchStrategicMergeTransformer({ paths: k.patchesStrategicMerge }, this.context));
    const file = posix.join(this.loader.root, this.fileName);
    (k.patches ?? []).forEach((patch, index) => validateSelector(patch.target, `${file}: patches[${index}]`));
    (k.patchesJson6902 ?? []).forEach((patch, index) => validateSelector(patch.target, `${file}: patchesJson6902[${index}]`));
    for (const patch of k.patches ?? []) result.push('PatchTransformer', patchTransformer(patch, this.context));
    if (k.namespace) result.push('NamespaceTransformer', namespaceTransformer({ namespace: k.namespace, fieldSpecs: config.namespace }));
    if (k.namePrefix) result.push('PrefixTransformer', affixTransformer('prefix', k.namePrefix, config.namePrefix));
    if (k.nameSuffix) result.push('SuffixTransformer', affixTransformer('suffix', k.nameSuffix, config.nameSuffix));
    result.push('LabelTransformer', ...this.labelTransformers(config));
    if (k.commonAnnotations && Object.keys(k.commonAnnotations).length > 0) {
      result.push('AnnotationsTransformer', mapEntriesTransformer(k.commonAnnotations, config.commonAnnotations));
    }
    for (const patch of k.patchesJson6902 ?? []) {
      result.push('PatchJson6902Transformer', patchJson6902Transformer({ target: patch.target, path: patch.path, jsonOp: patch.patch }, this.context));
    }
    for (const replica of k.replicas ?? []) result.push('ReplicaCountTransformer', replicaCountTransformer(replica, config.replicas));
    for (const image of k.images ?? []) result.push('ImageTagTransformer', imageTagTransformer(image, config.images));
    if (k.replacements?.length) result.push('ReplacementTransformer', replacementTransformer({ replacements: k.replacements }, this.context));
    return list.map(([kind, transformer]) => ({ transformer, origin: this.origin ? builtinOrigin(this.origin, this.fileName, kind) : undefined }));
  }

  private labelTransformers(config: TransformerConfig): Transformer[] {
    const k = this.kustomization;
    if (!k.labels?.length && !(k.commonLabels && Object.keys(k.commonLabels).length)) return [];
    const result: Transformer[] = [];
    for (const label of k.labels ?? []) {
      let specs: FieldSpec[] = mergeFieldSpecs(label.fields ?? [], config.labels);
      if (label.includeSelectors) {
        specs = mergeFieldSpecs(specs, config.commonLabels);
      } else {
        if (label.includeTemplates) specs = mergeFieldSpecs(specs, config.templateLabels);
        if (label.includeVolumeClaimTemplates) specs = mergeFieldSpecs(specs, config.volumeClaimTemplateLabels);
        specs = mergeFieldSpecs(specs, [{ path: 'metadata/labels', create: true }]);
      }
      result.push(mapEntriesTransformer(label.pairs, specs));
    }
    result.push(mapEntriesTransformer(k.commonLabels, config.commonLabels));
    return result;
  }

  /**
   * `generators:` / `transformers:` entries: inline plugin configs, or paths to files or
   * kustomization directories holding them.
   */
  private pluginConfigs(entries: readonly string[]): { config: JsonObject; origin?: Origin }[] {
    const configs: Resource[] = [];
    const paths: string[] = [];
    for (const entry of entries) {
      let inline: Resource[] | undefined;
      try {
        inline = resourcesFromText(entry, this.fileName);
      } catch {
        inline = undefined;
      }
      if (inline && inline.length > 0) {
        if (this.origin) for (const resource of inline) resource.origin = appendOriginPath(this.origin, this.fileName);
        configs.push(...inline);
      } else paths.push(entry);
    }
    if (paths.length > 0) {
      const accumulator = new Accumulator();
      this.accumulateResources(accumulator, paths);
      configs.push(...accumulator.resources.resources());
    }
    return configs.map((resource) => ({ config: resource.obj, origin: pluginOrigin(resource) }));
  }
}

/** Kustomize's OriginFromCustomPlugin: where the plugin's config came from, and which plugin it is. */
function pluginOrigin(config: Resource): Origin | undefined {
  if (!config.origin) return undefined;
  return {
    repo: config.origin.repo,
    ref: config.origin.ref,
    configuredIn: config.origin.path,
    configuredBy: { apiVersion: config.apiVersion, kind: config.kind, name: config.name, namespace: config.namespace },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** kustomize's errors.WrapPrefixf: "prefix: message", keeping KustomizeError's hint. */
function wrap(error: unknown, prefix: string): KustomizeError {
  const hint = error instanceof KustomizeError ? error.hint : undefined;
  return new KustomizeError(`${prefix}: ${messageOf(error)}`, { cause: error, hint });
}

/** Go's %q for the messages kustomize quotes. */
function goQuote(text: string): string {
  return JSON.stringify(text);
}
