import type { JsonObject } from '../../../../lib/kustomize/json.js';
import { Resource } from '../../../../lib/kustomize/resources/resource.js';
import { isClusterScoped, NOT_A_NAMESPACE } from '../../../../lib/kustomize/resources/resource-id.js';
import { ResourceList } from '../../../../lib/kustomize/resources/resource-list.js';

/**
 * A resource as it looks after earlier transformers ran: `renamedFrom` replays what the
 * prefix/suffix, namespace and hash transformers leave behind (a previous id per rename).
 */
export function res(
  object: JsonObject,
  options: { renamedFrom?: { name: string; namespace?: string }[]; prefixes?: string[]; suffixes?: string[]; vars?: string[] } = {},
): Resource {
  const resource = new Resource(object);
  for (const previous of options.renamedFrom ?? []) {
    const namespace = isClusterScoped(resource.gvk) ? NOT_A_NAMESPACE : previous.namespace ?? 'default';
    resource.setPreviousId(namespace, previous.name, resource.kind);
  }
  resource.namePrefixes = options.prefixes ?? [];
  resource.nameSuffixes = options.suffixes ?? [];
  resource.refVarNames = options.vars ?? [];
  return resource;
}

export function list(...resources: Resource[]): ResourceList {
  return new ResourceList(resources);
}

export function objects(resources: ResourceList): JsonObject[] {
  return resources.resources().map((resource) => resource.obj);
}
