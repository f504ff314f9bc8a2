import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../errors.js';
import type { ReferenceScope, SecretSource } from '../../ports/secret-source.js';
import { isAwsError } from './aws-errors.js';

/** `stageline/<org>/<group>` (organization scope) or `stageline/<org>/<env>/<group>` (environment scope). */
export function secretNameFor(scope: ReferenceScope, group: string): string {
  return scope.env === undefined ? `stageline/${scope.org}/${group}` : `stageline/${scope.org}/${scope.env}/${group}`;
}

/**
 * SecretSource over AWS Secrets Manager: one secret per group and scope, whose value is a JSON
 * object of keys (`{ "password": "…", "user": "…" }`). Answers for exactly the scope asked (the
 * domain asks the environment scope first). A missing secret or key is `undefined`; a secret that is
 * not a JSON object of scalars is a ConfigError naming the secret (never its content).
 *
 * Each secret is read once per instance: the runner builds one source per stack job, so a job
 * sees one consistent value and makes one call per secret.
 */
export class SecretsManagerSecretSource implements SecretSource {
  private readonly client: SecretsManagerClient;
  private readonly cache = new Map<string, Promise<Map<string, string> | undefined>>();

  constructor(options: { client?: SecretsManagerClient } = {}) {
    this.client = options.client ?? new SecretsManagerClient({});
  }

  async getSecret(scope: ReferenceScope, group: string, key: string): Promise<string | undefined> {
    const name = secretNameFor(scope, group);
    let entry = this.cache.get(name);
    if (!entry) {
      entry = this.load(name);
      this.cache.set(name, entry);
    }
    return (await entry)?.get(key);
  }

  private async load(name: string): Promise<Map<string, string> | undefined> {
    let text: string | undefined;
    try {
      const response = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      text = response.SecretString;
      if (text === undefined) throw new ConfigError(`secret ${name}: has a binary value; expected a JSON object of keys`);
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ConfigError(`secret ${name}: not valid JSON; expected a JSON object of keys`, { hint: 'store the group as { "<key>": "<value>", ... }' });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`secret ${name}: expected a JSON object of keys`, { hint: 'store the group as { "<key>": "<value>", ... }' });
    }
    const values = new Map<string, string>();
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === 'string') values.set(key, value);
      else if (typeof value === 'number' || typeof value === 'boolean') values.set(key, String(value));
      else throw new ConfigError(`secret ${name}: key ${JSON.stringify(key)} is not a string, number or boolean`);
    }
    return values;
  }
}
