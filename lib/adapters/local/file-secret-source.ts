import type { ReferenceScope, SecretSource } from '../../ports/secret-source.js';
import { isScalar, ScopedGroupsFile } from './scoped-groups-file.js';

/**
 * SecretSource over `.stageline/secrets.yaml` (git-ignored): `group → key → value`, with
 * `environments: { <env>: { group → key → value } }` for environment-scoped values. The file is
 * read once, on first use; a missing file holds no secrets. Numbers and booleans read as text.
 */
export class FileSecretSource implements SecretSource {
  private readonly file: ScopedGroupsFile;

  constructor(path: string) {
    this.file = new ScopedGroupsFile(path, isScalar, 'a text value');
  }

  async getSecret(scope: ReferenceScope, group: string, key: string): Promise<string | undefined> {
    const value = await this.file.lookup(scope, group, key);
    return value === undefined ? undefined : String(value);
  }
}
