import { KustomizeError } from '../errors.js';
import type { TargetSelector } from '../kustomization.js';
import { applyJson6902Patch, parseJson6902Operations } from '../patch/json6902.js';
import { resourcesFromText } from '../resources/resource-factory.js';
import type { Resource } from '../resources/resource.js';
import { applySmPatch, applySmPatchTo } from './patch-strategic-merge.js';
import { findUniqueTarget } from './patch-strategic-merge.js';
import type { PluginContext, Transformer } from './plugin.js';

export interface PatchTransformerConfig {
  path?: string;
  patch?: string;
  target?: TargetSelector;
  options?: { allowNameChange?: boolean; allowKindChange?: boolean };
}

/** `patches:` — one entry is a strategic-merge or a JSON 6902 patch, from a file or inline, with an optional target. */
export function patchTransformer(config: PatchTransformerConfig, context: PluginContext): Transformer {
  const inline = (config.patch ?? '').trim();
  const path = config.path ?? '';
  if (inline === '' && path === '') throw new KustomizeError(`must specify one of patch and path in\n${describe(config)}`);
  if (inline !== '' && path !== '') throw new KustomizeError(`patch and path can't be set at the same time\n${describe(config)}`);
  let text: string;
  let source: string;
  if (inline !== '') {
    text = inline;
    source = `[patch: ${JSON.stringify(inline)}]`;
  } else {
    try {
      text = context.loader.load(path);
    } catch (error) {
      throw new KustomizeError(`failed to get the patch file from path(${path}): ${(error as Error).message}`, { cause: error });
    }
    source = `[path: ${JSON.stringify(path)}]`;
  }

  // A text that parses as strategic-merge patches (mappings) cannot also be a JSON 6902
  // patch (a list), so kustomize's "qualifies as both" check is only reachable in theory.
  let smPatches: Resource[] | undefined;
  let smError: unknown;
  try {
    smPatches = resourcesFromText(text, path || '[inline patch]');
  } catch (error) {
    smError = error;
  }
  let jsonOperations: unknown[] | undefined;
  if (smError !== undefined) {
    try {
      jsonOperations = parseJson6902Operations(text, path || '[inline patch]');
    } catch (error) {
      // A hostile patch keeps its own clear reason.
      if (/excessive aliasing/.test((error as Error).message)) throw error;
      throw new KustomizeError(`unable to parse SM or JSON patch from ${source}`);
    }
  }

  if (smError === undefined && smPatches) {
    const patches = smPatches;
    for (const patch of patches) {
      if (config.options?.allowNameChange) patch.allowNameChange = true;
      if (config.options?.allowKindChange) patch.allowKindChange = true;
    }
    return {
      transform(resources) {
        if (config.target) {
          if (patches.length > 1) {
            throw new KustomizeError(`Multiple Strategic-Merge Patches in one \`patches\` entry is not allowed to set \`patches.target\` field: ${source}`);
          }
          if (patches.length === 0) return;
          applySmPatchTo(resources, resources.select(config.target), patches[0]!);
          return;
        }
        for (const patch of patches) {
          let target: Resource;
          try {
            target = findUniqueTarget(resources, patch);
          } catch (error) {
            throw new KustomizeError(`no resource matches strategic merge patch "${describeId(patch)}": ${(error as Error).message}`);
          }
          applySmPatch(target, patch);
          if (target.isEmpty()) resources.remove(target);
        }
      },
    };
  }

  const operations = jsonOperations!;
  return {
    transform(resources) {
      if (!config.target) throw new KustomizeError(`must specify a target for JSON patch ${source}`);
      for (const resource of resources.select(config.target)) {
        resource.storePreviousId();
        resource.object = applyJson6902Patch(resource.obj, operations, source);
      }
    },
  };
}

function describe(config: PatchTransformerConfig): string {
  return JSON.stringify(config);
}

function describeId(patch: Resource): string {
  const id = patch.orgId();
  return `${id.kind}.${id.version || '[noVer]'}.${id.group || '[noGrp]'}/${id.name}.${id.namespace || '[noNs]'}`;
}
