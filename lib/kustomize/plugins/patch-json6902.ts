import { KustomizeError } from '../errors.js';
import type { TargetSelector } from '../kustomization.js';
import { applyJson6902Patch, parseJson6902Operations } from '../patch/json6902.js';
import type { PluginContext, Transformer } from './plugin.js';

/** `patchesJson6902:` — RFC 6902 operations from a file or inline, applied to the target selection. */
export function patchJson6902Transformer(config: { target?: TargetSelector; path?: string; jsonOp?: string }, context: PluginContext): Transformer {
  if (!config.target?.name) throw new KustomizeError('must specify the target name');
  if (!config.path && !config.jsonOp) throw new KustomizeError('empty file path and empty jsonOp');
  let text = config.jsonOp ?? '';
  if (config.path) {
    if (config.jsonOp) throw new KustomizeError('must specify a file path or jsonOp, not both');
    text = context.loader.load(config.path);
    if (text === '') throw new KustomizeError(`patch file '${config.path}' empty seems to be empty`);
  }
  const operations = parseJson6902Operations(text, config.path ?? '[jsonOp]');
  if (operations.length === 0) {
    throw new KustomizeError(`patch appears to be empty; file=${config.path ?? ''}, JsonOp=${text}`);
  }
  const target = config.target;
  return {
    transform(resources) {
      for (const resource of resources.select(target)) {
        resource.object = applyJson6902Patch(resource.obj, operations, config.path ?? '[jsonOp]');
      }
    },
  };
}
