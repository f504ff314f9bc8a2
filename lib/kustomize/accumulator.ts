import { KustomizeError } from './errors.js';
import { EMPTY_TRANSFORMER_CONFIG, mergeTransformerConfigs } from './fieldspecs/config.js';
import type { TransformerConfig } from './fieldspecs/types.js';
import type { VarConfig } from './kustomization.js';
import { parseApiVersion, gvknEquals, isClusterScoped, makeResId, resIdEquals } from './resources/resource-id.js';
import { ResourceList } from './resources/resource-list.js';

/** What a kustomization has gathered so far: resources, transformer configuration, vars (kustomize's ResAccumulator). */
export class Accumulator {
  readonly resources = new ResourceList();
  config: TransformerConfig = EMPTY_TRANSFORMER_CONFIG;
  readonly vars: VarConfig[] = [];

  mergeConfig(config: TransformerConfig | undefined): void {
    this.config = mergeTransformerConfigs(this.config, config);
  }

  mergeAccumulator(other: Accumulator): void {
    this.resources.appendAll(other.resources);
    this.mergeConfig(other.config);
    this.mergeVarSet(other.vars);
  }

  /** Declares `vars:`: each var is tied to the one resource its objref names. */
  mergeVars(incoming: readonly VarConfig[]): void {
    for (const variable of incoming) {
      const objref = variable.objref;
      const fromApiVersion = objref.apiVersion ? parseApiVersion(objref.apiVersion) : { group: objref.group ?? '', version: objref.version ?? '' };
      const target = makeResId({ ...fromApiVersion, kind: objref.kind ?? '' }, objref.name, objref.namespace ?? '');
      const exact = target.namespace !== '' || isClusterScoped(target);
      const matched = this.resources.byAnyId((id) => (exact ? resIdEquals(id, target) : gvknEquals(id, target)));
      if (matched.length > 1) {
        throw new KustomizeError(`found ${matched.length} resId matches for var ${describeVar(variable)} (unable to disambiguate)`);
      }
      if (matched.length === 1) matched[0]!.refVarNames.push(variable.name);
    }
    this.mergeVarSet(incoming);
  }

  private mergeVarSet(incoming: readonly VarConfig[]): void {
    for (const variable of incoming) {
      if (this.vars.some((existing) => existing.name === variable.name)) {
        throw new KustomizeError(`var '${variable.name}' already encountered`);
      }
      this.vars.push(variable);
    }
  }
}

function describeVar(variable: VarConfig): string {
  const objref = variable.objref;
  return `{${variable.name} {${objref.apiVersion ?? ''} {${objref.group ?? ''} ${objref.version ?? ''} ${objref.kind ?? ''}} ${objref.name} ${objref.namespace ?? ''}} {${variable.fieldref?.fieldPath ?? ''}}}`;
}
