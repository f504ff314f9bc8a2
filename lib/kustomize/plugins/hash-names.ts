import { hashResource } from '../generators/hash.js';
import type { ResourceList } from '../resources/resource-list.js';

/** Appends the content hash to every generated resource that wants one (after all merges). */
export function appendHashSuffixes(resources: ResourceList): void {
  for (const resource of resources.resources()) {
    if (!resource.needsHashSuffix) continue;
    const hash = hashResource(resource.obj);
    resource.storePreviousId();
    resource.name = `${resource.name}-${hash}`;
  }
}
