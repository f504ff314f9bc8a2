import type { Loader } from '../loader.js';
import type { Resource } from '../resources/resource.js';
import type { ResourceList } from '../resources/resource-list.js';

/** What a built-in plugin may use while it is configured: the kustomization's loader. */
export interface PluginContext {
  readonly loader: Loader;
}

/** A configured built-in transformer (kustomize's builtins/*Transformer). */
export interface Transformer {
  transform(resources: ResourceList): void;
}

/** A configured built-in generator. */
export interface Generator {
  generate(): Resource[];
}
