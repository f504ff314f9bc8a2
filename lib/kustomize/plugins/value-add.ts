import { KustomizeError } from '../errors.js';
import { walkFieldPath } from '../fieldspecs/walk.js';
import { isJsonObject, type JsonObject } from '../json.js';
import type { TargetSelector } from '../kustomization.js';
import { isClusterScoped } from '../resources/resource-id.js';
import { parseYamlDocument } from '../yaml/parse.js';
import type { PluginContext, Transformer } from './plugin.js';

interface ValueAddTarget {
  selector?: TargetSelector;
  fieldPath: string;
  filePathPosition: number;
}

/**
 * The built-in ValueAddTransformer: writes `value` (default: the name of the kustomization's own
 * directory) into `fieldPath` of the selected resources, creating the field. `filePathPosition`
 * N > 0 inserts the value as the N-th segment of the field's current value read as a file path
 * (`projects` with 2 is `projects/<value>`); 0 replaces it. `metadata/namespace` sets the
 * namespace of every namespaced resource except Namespace objects.
 */
export function valueAddTransformer(config: JsonObject, context: PluginContext): Transformer {
  let value = typeof config.value === 'string' ? config.value.trim() : '';
  if (value === '') value = context.loader.root.split('/').filter(Boolean).pop() ?? '/';
  const targets: ValueAddTarget[] = [...targetsOf(config.targets)];
  if (typeof config.targetFilePath === 'string' && config.targetFilePath !== '') {
    const text = context.loader.load(config.targetFilePath);
    const parsed = parseTargetsFile(text, config.targetFilePath);
    targets.push(...targetsOf(parsed));
  }
  if (targets.length === 0) throw new KustomizeError('must specify at least one target');
  return {
    transform(resources) {
      for (const target of targets) {
        const selected = target.selector ? resources.select(target.selector) : resources.resources();
        for (const resource of selected) {
          if (resource.isEmpty()) continue;
          if (target.fieldPath === 'metadata/namespace') {
            if (resource.kind === 'Namespace' || isClusterScoped(resource.gvk)) continue;
            resource.namespace = value;
            continue;
          }
          walkFieldPath(resource.obj, target.fieldPath, 'scalar', (field) => {
            const current = field.value === null ? '' : typeof field.value === 'object' ? '' : String(field.value);
            field.set(target.filePathPosition > 0 ? insertPathPart(current, target.filePathPosition - 1, value) : value);
          });
        }
      }
    },
  };
}

function targetsOf(raw: unknown): ValueAddTarget[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isJsonObject).map((target) => ({
    selector: isJsonObject(target.selector) ? (target.selector as unknown as TargetSelector) : undefined,
    fieldPath: typeof target.fieldPath === 'string' ? target.fieldPath : '',
    filePathPosition: typeof target.filePathPosition === 'number' ? target.filePathPosition : 0,
  }));
}

function parseTargetsFile(text: string, fileName: string): unknown {
  const parsed = parseYamlDocument(text, fileName);
  return isJsonObject(parsed) ? parsed.targets : undefined;
}

/** kustomize's filesys.InsertPathPart: `part` becomes segment `pos` of `path` (empty segments dropped). */
export function insertPathPart(path: string, pos: number, part: string): string {
  if (path === '') return part;
  const absolute = path.startsWith('/');
  const parts = path.split('/').filter((segment) => segment !== '');
  const at = Math.max(0, Math.min(pos, parts.length));
  parts.splice(at, 0, part);
  return (absolute ? '/' : '') + parts.join('/');
}
