import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../errors.js';
import { parseKeyring, type SigningKeyring } from '../../pipeline/approvals/links.js';

/**
 * Reads the approval links' HMAC keyring from Secrets Manager. Accepted secret values:
 * - `{ "current": "k1", "keys": { "k1": "<secret>" } }` (the keyring itself; rotation adds keys);
 * - `{ "current": "k1", "k1": "<secret>" }` (flat: what CDK's `generateSecretString` makes with
 *   `secretStringTemplate: '{"current":"k1"}'` and `generateStringKey: 'k1'`).
 * The value is never echoed in an error.
 */
export async function loadSigningKeyring(client: SecretsManagerClient, secretId: string): Promise<SigningKeyring> {
  const response = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const text = response.SecretString;
  if (!text) throw new ConfigError(`approval signing key ${secretId}: the secret has no string value`);
  return parseSigningKeyring(text, secretId);
}

export function parseSigningKeyring(text: string, secretId: string): SigningKeyring {
  const where = `approval signing key ${secretId}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${where}: not valid JSON`, { hint: 'expected { "current": "k1", "keys": { "k1": "<secret>" } }' });
  }
  if (typeof value === 'object' && value !== null && !('keys' in value) && typeof (value as { current?: unknown }).current === 'string') {
    const { current, ...keys } = value as Record<string, unknown>;
    return parseKeyring(JSON.stringify({ current, keys }), where);
  }
  return parseKeyring(text, where);
}

/**
 * A keyring read once and kept for `ttlMs` (default 5 minutes, so a rotation reaches warm Lambdas
 * soon); a failed read is not cached.
 */
export function cachedKeyring(load: () => Promise<SigningKeyring>, ttlMs = 5 * 60_000, now: () => number = Date.now): () => Promise<SigningKeyring> {
  let entry: { value: Promise<SigningKeyring>; at: number } | undefined;
  return () => {
    if (!entry || now() - entry.at > ttlMs) {
      const value = load();
      const current = { value, at: now() };
      entry = current;
      value.catch(() => {
        if (entry === current) entry = undefined;
      });
    }
    return entry.value;
  };
}
