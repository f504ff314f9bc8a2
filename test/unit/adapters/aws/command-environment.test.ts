import { describe, expect, it } from 'vitest';
import { commandEnvironment } from '../../../../lib/adapters/aws/runner-wiring.js';

/** What a provisioner command may see of the CodeBuild runner's environment. */
describe('commandEnvironment', () => {
  const runner = {
    PATH: '/usr/bin',
    AWS_REGION: 'eu-west-1',
    STAGELINE_JOB: '{"taskToken":"t"}',
    STAGELINE_JOB_KEY: 'runs/r/jobs/0-dev.json',
    STAGELINE_BUCKET: 'stageline-bucket',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x',
  };
  const endpoint = { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:40123/0123456789abcdef0123456789abcdef', AWS_CONTAINER_AUTHORIZATION_TOKEN: 'tok' };

  it('never passes on the job or the way to it (they lead to the task token)', () => {
    const env = commandEnvironment(runner, undefined);
    expect(env).not.toHaveProperty('STAGELINE_JOB');
    expect(env).not.toHaveProperty('STAGELINE_JOB_KEY');
    expect(env).not.toHaveProperty('STAGELINE_BUCKET');
    expect(env.PATH).toBe('/usr/bin');
  });

  it("without an environment role the commands get no AWS credentials: never the runner role's", () => {
    const env = commandEnvironment({ ...runner, AWS_ACCESS_KEY_ID: 'AKIARUNNER', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' }, undefined);
    expect(Object.keys(env).filter((name) => /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|CONTAINER_)/.test(name))).toEqual([]);
    expect(env.AWS_EC2_METADATA_DISABLED).toBe('true');
    expect(env.AWS_REGION).toBe('eu-west-1');
  });

  it("with an environment role: only its credentials endpoint, and no way back to the runner's credentials", () => {
    const withEverything = {
      ...runner,
      AWS_ACCESS_KEY_ID: 'AKIARUNNER',
      AWS_SECRET_ACCESS_KEY: 's',
      AWS_SESSION_TOKEN: 't',
      AWS_PROFILE: 'runner',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:1/runner-own',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/runner-token',
      AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/web-identity',
      AWS_ROLE_ARN: 'arn:aws:iam::111111111111:role/runner',
    };
    const env = commandEnvironment(withEverything, endpoint);
    expect(env).toEqual({ PATH: '/usr/bin', AWS_REGION: 'eu-west-1', ...endpoint, AWS_EC2_METADATA_DISABLED: 'true' });
  });
});
