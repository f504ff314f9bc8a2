import 'aws-sdk-client-mock-vitest/extend';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerSecretSource } from '../../../../lib/adapters/aws/secrets-manager-secret-source.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const secretsManager = mockClient(SecretsManagerClient);
const client = () => new SecretsManagerClient({ region: 'eu-west-1' });
const notFound = () => new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });

beforeEach(() => secretsManager.reset());

describe('SecretsManagerSecretSource', () => {
  it('reads the organization scope from stageline/<org>/<group>', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: 'stageline/acme/database' }).resolves({ SecretString: '{"password":"s3cret","port":5432}' });
    const source = new SecretsManagerSecretSource({ client: client() });

    expect(await source.getSecret({ org: 'acme' }, 'database', 'password')).toBe('s3cret');
    expect(await source.getSecret({ org: 'acme' }, 'database', 'port')).toBe('5432');
  });

  it('reads the environment scope from stageline/<org>/<env>/<group>, and never falls back', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: 'stageline/acme/app-production/database' }).rejects(notFound());
    secretsManager.on(GetSecretValueCommand, { SecretId: 'stageline/acme/database' }).resolves({ SecretString: '{"password":"org-level"}' });
    const source = new SecretsManagerSecretSource({ client: client() });

    expect(await source.getSecret({ org: 'acme', env: 'app-production' }, 'database', 'password')).toBeUndefined();
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'stageline/acme/app-production/database' });
  });

  it('answers undefined for a missing key of an existing secret', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"password":"x"}' });
    const source = new SecretsManagerSecretSource({ client: client() });

    expect(await source.getSecret({ org: 'acme' }, 'database', 'user')).toBeUndefined();
  });

  it('reads each secret once per job (the cache also covers concurrent lookups and missing secrets)', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: 'stageline/acme/database' }).resolves({ SecretString: '{"user":"u","password":"p"}' });
    secretsManager.on(GetSecretValueCommand, { SecretId: 'stageline/acme/missing' }).rejects(notFound());
    const source = new SecretsManagerSecretSource({ client: client() });

    await Promise.all([source.getSecret({ org: 'acme' }, 'database', 'user'), source.getSecret({ org: 'acme' }, 'database', 'password')]);
    await source.getSecret({ org: 'acme' }, 'missing', 'a');
    await source.getSecret({ org: 'acme' }, 'missing', 'b');

    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('refuses a secret that is not a JSON object, without echoing its value', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'plain-text-value' });
    const source = new SecretsManagerSecretSource({ client: client() });

    const error = await source.getSecret({ org: 'acme' }, 'database', 'password').catch((caught: Error) => caught);

    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('secret stageline/acme/database: not valid JSON') });
    expect(String((error as Error).message)).not.toContain('plain-text-value');
  });

  it('passes any other failure on (access denied is not "no such secret")', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const source = new SecretsManagerSecretSource({ client: client() });

    await expect(source.getSecret({ org: 'acme' }, 'database', 'password')).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
