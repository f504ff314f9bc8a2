import { KustomizeError } from '../errors.js';
import { applyStrategicMergePatch } from '../patch/strategic-merge.js';
import { resourcesFromText } from '../resources/resource-factory.js';
import { resIdEquals, resIdString } from '../resources/resource-id.js';
import type { Resource } from '../resources/resource.js';
import type { ResourceList } from '../resources/resource-list.js';
import type { PluginContext, Transformer } from './plugin.js';

/** `patchesStrategicMerge:` — each entry is inline YAML or a file path; each patch targets the resource with its id. */
export function patchStrategicMergeTransformer(config: { paths?: string[]; patches?: string }, context: PluginContext): Transformer {
  const patches: Resource[] = [];
  for (const entry of config.paths ?? []) patches.push(...loadPatch(entry, context));
  if (config.patches) patches.push(...resourcesFromText(config.patches, '[inline patch]'));
  if (patches.length === 0) {
    throw new KustomizeError(`patch appears to be empty; files=[${(config.paths ?? []).join(' ')}], Patch=${config.patches ?? ''}`);
  }
  return {
    transform(resources) {
      for (const patch of patches) {
        const target = findUniqueTarget(resources, patch);
        applySmPatchTo(resources, [target], patch);
      }
    },
  };
}

/** An entry that parses as resources is an inline patch; otherwise it names a file. */
function loadPatch(entry: string, context: PluginContext): Resource[] {
  try {
    const inline = resourcesFromText(entry, '[inline patch]');
    if (inline.length > 0) return inline;
  } catch {
    // Not inline YAML: a path.
  }
  return resourcesFromText(context.loader.load(entry), entry);
}

/** Kustomize's ResMap.GetById: exactly one resource whose current or previous id is the patch's original id. */
export function findUniqueTarget(resources: ResourceList, patch: Resource): Resource {
  const id = patch.orgId();
  const matches = resources.byAnyId((candidate) => resIdEquals(candidate, id));
  if (matches.length === 1) return matches[0]!;
  const reason = matches.length > 1 ? `multiple matches for Id ${resIdString(id)}` : `no matches for Id ${resIdString(id)}`;
  throw new KustomizeError(`${reason}; failed to find unique target for patch ${resIdString(id)}`);
}

/**
 * Kustomize's ResMap.ApplySmPatch: the patch takes each target's apiVersion (its kind stays),
 * name/namespace/kind changes are undone unless the patch allows them, and a resource deleted by
 * `$patch: delete` leaves the list.
 */
export function applySmPatchTo(resources: ResourceList, targets: Resource[], patch: Resource): void {
  const selected = new Set(targets);
  const kept: Resource[] = [];
  for (const resource of resources.resources()) {
    if (selected.has(resource)) {
      const patchCopy = patch.deepCopy();
      patchCopy.setGvk(resource.gvk);
      patchCopy.kind = patch.kind;
      applySmPatch(resource, patchCopy);
    }
    if (!resource.isEmpty()) kept.push(resource);
  }
  resources.reset(kept);
}

export function applySmPatch(resource: Resource, patch: Resource): void {
  if (patch.allowNameChange || patch.allowKindChange) resource.storePreviousId();
  // The merge restores name, kind (unless allowed to change) and namespace itself.
  resource.object = applyStrategicMergePatch(resource.obj, patch.obj, {
    allowNameChange: patch.allowNameChange,
    allowKindChange: patch.allowKindChange,
  });
  if (resource.isEmpty()) resource.object = null;
}
