import { visitFieldSpec } from '../fieldspecs/walk.js';
import type { FieldSpec } from '../fieldspecs/types.js';
import { isJsonObject } from '../json.js';
import type { Transformer } from './plugin.js';

/**
 * `commonLabels:` / `labels:` / `commonAnnotations:` — sets each key (in sorted order, as
 * kustomize) in every map the field specs reach, creating the maps where a spec allows it.
 */
export function mapEntriesTransformer(entries: Record<string, string> | undefined, fieldSpecs: FieldSpec[]): Transformer {
  const keys = Object.keys(entries ?? {}).sort();
  return {
    transform(resources) {
      if (keys.length === 0) return;
      for (const resource of resources.resources()) {
        if (resource.isEmpty()) continue;
        for (const key of keys) {
          for (const spec of fieldSpecs) {
            visitFieldSpec(resource.obj, spec, (field) => {
              if (isJsonObject(field.value)) field.value[key] = entries![key]!;
              else if (field.value === null) field.set({ [key]: entries![key]! });
              else throw new Error(`wrong node kind: expected MappingNode but got ${Array.isArray(field.value) ? 'SequenceNode' : 'ScalarNode'}: node contents:\n${String(field.value)}\n`);
            }, { createKind: 'map' });
          }
        }
      }
    },
  };
}
