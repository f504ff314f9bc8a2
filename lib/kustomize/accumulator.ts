import { KustomizeError } from './errors.js';
import { EMPTY_TRANSFORMER_CONFIG, mergeTransformerConfigs } from './fieldspecs/config.js';
import type { TransformerConfig } from './fieldspecs/types.js';
import type { VarConfig } from './kustomization.js';
import { attachVarsToResources } from './plugins/vars.js';
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
    attachVarsToResources(this.resources, incoming);
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
