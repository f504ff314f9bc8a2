import type { ReferenceScope } from './secret-source.js';

/**
 * Where `$variables-group/<group>/<key>` references are read: SSM parameters
 * `/stageline/<org>/[<env>/]variables/<group>/<key>` in AWS, `.stageline/variables.yaml` locally.
 *
 * Like {@link SecretSource}, a source answers for exactly one scope (no fallback); the domain asks
 * the environment scope first. The value is returned as stored; the domain validates it:
 * a scalar literal, or `{ valueFrom: { kind, env?, name, fieldPath } }` naming another resource's
 * recorded stack-job outputs (`outputs/<org>/<env>/<kind>/<name>.json`).
 */
export interface VariableSource {
  /** The stored value (not yet validated), or `undefined` when this scope has no such variable. */
  getVariable(scope: ReferenceScope, group: string, key: string): Promise<unknown>;
}

export type { ReferenceScope };
