import { KustomizeError } from '../errors.js';
import { visitFieldSpec } from '../fieldspecs/walk.js';
import type { FieldSpec } from '../fieldspecs/types.js';
import { gvkIsSelected } from '../resources/resource-id.js';
import type { Transformer } from './plugin.js';

/** Kinds whose names kustomize never prefixes or suffixes. */
const SKIPPED = [{ kind: 'CustomResourceDefinition' }, { group: 'apiregistration.k8s.io', kind: 'APIService' }, { kind: 'Namespace' }];

/** `namePrefix:` / `nameSuffix:` — renames along the name field specs, remembering the old id. */
export function affixTransformer(side: 'prefix' | 'suffix', affix: string, fieldSpecs: FieldSpec[] | undefined): Transformer {
  if (fieldSpecs === undefined) throw new KustomizeError('fieldSpecs is not expected to be nil');
  return {
    transform(resources) {
      for (const resource of resources.resources()) {
        const id = resource.orgId();
        if (SKIPPED.some((skip) => gvkIsSelected(id, skip))) continue;
        for (const spec of fieldSpecs) {
          if (!gvkIsSelected(id, spec)) continue;
          if (spec.path === 'metadata/name') {
            if (affix !== '') {
              if (side === 'prefix') resource.namePrefixes.push(affix);
              else resource.nameSuffixes.push(affix);
              resource.storePreviousId();
            }
          }
          visitFieldSpec(resource.obj, spec, (field) => {
            const current = scalarText(field.value);
            field.set(side === 'prefix' ? `${affix}${current}` : `${current}${affix}`);
          }, { createKind: 'scalar' });
        }
      }
    },
  };
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') throw new KustomizeError('expected scalar node');
  return String(value);
}
