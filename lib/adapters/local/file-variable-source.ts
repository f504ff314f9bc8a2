import type { ReferenceScope } from '../../ports/secret-source.js';
import type { VariableSource } from '../../ports/variable-source.js';
import { isScalar, ScopedGroupsFile } from './scoped-groups-file.js';

/**
 * VariableSource over `.stageline/variables.yaml`: same shape as secrets.yaml; a value is a
 * literal or `{ valueFrom: { kind, env, name, fieldPath } }` (validated by the domain when used).
 */
export class FileVariableSource implements VariableSource {
  private readonly file: ScopedGroupsFile;

  constructor(path: string) {
    this.file = new ScopedGroupsFile(
      path,
      (value) => isScalar(value) || (typeof value === 'object' && value !== null && 'valueFrom' in value),
      'a literal or { valueFrom: { kind, env, name, fieldPath } }',
    );
  }

  async getVariable(scope: ReferenceScope, group: string, key: string): Promise<unknown> {
    return this.file.lookup(scope, group, key);
  }
}
