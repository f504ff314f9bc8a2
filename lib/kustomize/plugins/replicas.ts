import { KustomizeError } from '../errors.js';
import { visitFieldSpec } from '../fieldspecs/walk.js';
import type { FieldSpec } from '../fieldspecs/types.js';
import { gvkIsSelected, gvkString } from '../resources/resource-id.js';
import type { Transformer } from './plugin.js';

/** `replicas:` — sets the replica count of every resource with that (current or previous) name. */
export function replicaCountTransformer(replica: { name?: string; count: number }, fieldSpecs: FieldSpec[]): Transformer {
  return {
    transform(resources) {
      let found = false;
      for (const spec of fieldSpecs) {
        const matching = resources.byAnyId((id) => id.name === replica.name && gvkIsSelected(id, spec));
        if (matching.length === 0) continue;
        found = true;
        for (const resource of matching) {
          visitFieldSpec(resource.obj, spec, (field) => field.set(replica.count), { createKind: 'scalar' });
        }
      }
      if (!found) {
        const gvks = fieldSpecs.map((spec) => gvkString({ group: spec.group ?? '', version: spec.version ?? '', kind: spec.kind ?? '' }));
        throw new KustomizeError(`resource with name ${replica.name ?? ''} does not match a config with the following GVK [${gvks.join(' ')}]`);
      }
    },
  };
}
