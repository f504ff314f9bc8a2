import 'aws-sdk-client-mock-vitest/extend';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { cachedKeyring, loadSigningKeyring, parseSigningKeyring } from '../../../../lib/adapters/aws/signing-keyring.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const secretsManager = mockClient(SecretsManagerClient);
const KEY = 'k'.repeat(40);
const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:stageline-approval-key-AbCdEf';

beforeEach(() => secretsManager.reset());

describe('approval signing keyring from Secrets Manager', () => {
  it('reads the keyring secret by its ARN', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ current: 'k2', keys: { k1: KEY, k2: KEY.replace(/k/g, 'm') } }) });

    expect(await loadSigningKeyring(new SecretsManagerClient({ region: 'eu-west-1' }), ARN)).toEqual({ current: 'k2', keys: { k1: KEY, k2: 'm'.repeat(40) } });
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN });
  });

  it("accepts the flat form CDK's generateSecretString makes ({ current, <kid>: secret })", () => {
    expect(parseSigningKeyring(JSON.stringify({ current: 'k1', k1: KEY }), ARN)).toEqual({ current: 'k1', keys: { k1: KEY } });
  });

  it('refuses a short key or non-JSON without echoing the value', () => {
    expect(() => parseSigningKeyring(JSON.stringify({ current: 'k1', k1: 'short-secret' }), ARN)).toThrow(/shorter than 32/);
    const error = (() => {
      try {
        parseSigningKeyring('not-json-secret-value', ARN);
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toContain(ARN);
    expect(error?.message).not.toContain('not-json-secret-value');
  });

  it('caches the keyring for the TTL, and does not cache a failure', async () => {
    let calls = 0;
    let now = 0;
    let fail = true;
    const keyring = cachedKeyring(async () => {
      calls++;
      if (fail) throw new Error('throttled');
      return { current: 'k1', keys: { k1: KEY } };
    }, 1000, () => now);

    await expect(keyring()).rejects.toThrow('throttled');
    fail = false;
    await keyring();
    await keyring();
    now = 2000;
    await keyring();

    expect(calls).toBe(3);
  });
});
