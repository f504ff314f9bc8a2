import type { FileSystem } from './file-system.js';
import type { JsonObject } from './json.js';
import { Loader } from './loader.js';
import { sortResources } from './plugins/sort.js';
import type { Resource } from './resources/resource.js';
import { KustTarget } from './target.js';
import { emitYaml } from './yaml/emit.js';

/** `legacy`: kustomize's kind-based order (the CLI default); `none`: depth-first input order. */
export type Reorder = 'legacy' | 'none';

export interface BuildOptions {
  /** Default `legacy`, as `kustomize build` without `--reorder`. A kustomization's sortOptions wins. */
  reorder?: Reorder;
  /** Environment for generators' `envs` entries without a value; never read from process.env here. */
  environment?: Readonly<Record<string, string>>;
}

export interface BuildResult {
  /** The resources in output order. */
  resources: JsonObject[];
  /** Exactly what `kustomize build` prints. */
  yaml: string;
}

const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';

/** Builds the kustomization in `dir` (an absolute path of `fs`), like `kustomize build`. Throws KustomizeError. */
export function buildKustomization(fs: FileSystem, dir: string, options: BuildOptions = {}): BuildResult {
  const loader = Loader.atRoot(fs, dir);
  const target = KustTarget.load(loader, { environment: options.environment ?? {} });
  const resources = target.makeCustomizedResources();
  const sortOptions = target.kustomization.sortOptions;
  if (sortOptions) sortResources(resources, sortOptions);
  else if ((options.reorder ?? 'legacy') === 'legacy') sortResources(resources, { order: 'legacy' });
  const keepOrigin = target.kustomization.buildMetadata?.includes('originAnnotations') ?? false;
  const objects = resources.resources().map((resource) => finalObject(resource, keepOrigin));
  return { resources: objects, yaml: objects.map((object) => emitYaml(object)).join('---\n') };
}

function finalObject(resource: Resource, keepOrigin: boolean): JsonObject {
  if (keepOrigin && resource.origin) {
    resource.annotations = { ...resource.annotations, [ORIGIN_ANNOTATION]: emitYaml(resource.origin) };
  }
  return resource.obj;
}
