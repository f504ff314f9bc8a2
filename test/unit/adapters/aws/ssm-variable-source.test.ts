import 'aws-sdk-client-mock-vitest/extend';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SsmVariableSource } from '../../../../lib/adapters/aws/ssm-variable-source.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ssm = mockClient(SSMClient);
const client = () => new SSMClient({ region: 'eu-west-1' });

beforeEach(() => ssm.reset());

describe('SsmVariableSource', () => {
  it('reads /stageline/<org>/variables/<group>/<key> (a String parameter, never decrypted)', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Type: 'String', Value: 'eu-west-1' } });
    const source = new SsmVariableSource({ client: client() });

    expect(await source.getVariable({ org: 'acme' }, 'network', 'region')).toBe('eu-west-1');
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/stageline/acme/variables/network/region', WithDecryption: false });
  });

  it('reads /stageline/<org>/<env>/variables/<group>/<key> for an environment scope', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'prod-vpc' } });
    const source = new SsmVariableSource({ client: client() });

    expect(await source.getVariable({ org: 'acme', env: 'app-production' }, 'network', 'vpc')).toBe('prod-vpc');
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/stageline/acme/app-production/variables/network/vpc' });
  });

  it('returns a { valueFrom } reference as an object, for the domain to validate', async () => {
    const reference = { valueFrom: { kind: 'AwsRdsInstance', env: 'app-dev', name: 'db', fieldPath: 'status.outputs.endpoint' } };
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(reference) } });
    const source = new SsmVariableSource({ client: client() });

    expect(await source.getVariable({ org: 'acme' }, 'database', 'host')).toEqual(reference);
  });

  it('keeps literals that only look like JSON as strings', async () => {
    ssm.on(GetParameterCommand, { Name: '/stageline/acme/variables/g/number' }).resolves({ Parameter: { Value: '42' } });
    ssm.on(GetParameterCommand, { Name: '/stageline/acme/variables/g/brace' }).resolves({ Parameter: { Value: '{not json' } });
    const source = new SsmVariableSource({ client: client() });

    expect(await source.getVariable({ org: 'acme' }, 'g', 'number')).toBe('42');
    expect(await source.getVariable({ org: 'acme' }, 'g', 'brace')).toBe('{not json');
  });

  it('answers undefined for a missing parameter, and asks once per job', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    const source = new SsmVariableSource({ client: client() });

    expect(await source.getVariable({ org: 'acme' }, 'network', 'region')).toBeUndefined();
    expect(await source.getVariable({ org: 'acme' }, 'network', 'region')).toBeUndefined();
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
  });

  it('refuses a SecureString parameter, naming it and never its value, and never asks SSM to decrypt', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/stageline/acme/variables/database/password', Type: 'SecureString', Value: 'canary-S3cr3t-ssm' } });
    const source = new SsmVariableSource({ client: client() });

    const error = await source.getVariable({ org: 'acme' }, 'database', 'password').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      'parameter /stageline/acme/variables/database/password is a SecureString: variables are not secret; use a $secrets-group reference',
    );
    expect(JSON.stringify(error)).not.toContain('canary-S3cr3t-ssm');
    expect(String((error as Error).stack)).not.toContain('canary-S3cr3t-ssm');
    expect(ssm).not.toHaveReceivedCommandWith(GetParameterCommand, { WithDecryption: true });
  });
});
