import { describe, expect, it } from 'vitest';
import { commandEnvironment } from '../../../../lib/adapters/aws/runner-wiring.js';

/** What a provisioner command may see of the CodeBuild runner's environment. */
describe('commandEnvironment', () => {
  const runner = {
    PATH: '/usr/bin',
    STAGELINE_JOB: '{"taskToken":"t"}',
    STAGELINE_JOB_KEY: 'runs/r/jobs/0-dev.json',
    STAGELINE_BUCKET: 'stageline-bucket',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x',
  };

  it('never passes on the job or the way to it (they lead to the task token)', () => {
    const env = commandEnvironment(runner, undefined);
    expect(env).not.toHaveProperty('STAGELINE_JOB');
    expect(env).not.toHaveProperty('STAGELINE_JOB_KEY');
    expect(env).not.toHaveProperty('STAGELINE_BUCKET');
    expect(env.PATH).toBe('/usr/bin');
  });

  it("with an environment role: only that role's credentials, no way back to the runner's", () => {
    const env = commandEnvironment(runner, { accessKeyId: 'ASIA', secretAccessKey: 's', sessionToken: 't' });
    expect(env).toMatchObject({ AWS_ACCESS_KEY_ID: 'ASIA', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' });
    expect(env).not.toHaveProperty('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
  });
});
