import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployToAwsCommand } from '../../lib/cli/commands/deploy-aws.js';
import type { CliIo } from '../../lib/cli/io.js';
import { EmulatedAccount, REPO_ROOT } from './emulated-account.js';
import { writeService, type ServiceFixture } from './service-fixture.js';

const FIXTURES = join(REPO_ROOT, 'test', 'account', 'fixtures');
const CANARY = 'canary-7f3e9b1c-production-password';
const DEV_CANARY = 'canary-52a1d0e8-shared-password';
export const STAGING_ROLE = 'arn:aws:iam::123456789012:role/stageline-staging-deployer';

let account: EmulatedAccount;
const cliLines: string[] = [];

beforeAll(async () => {
  account = await EmulatedAccount.create({
    organizationFile: join(FIXTURES, 'organization.yaml'),
    runnerImageEnvironment: { STAGELINE_ACCOUNT_FIXTURES: FIXTURES, STAGELINE_ACCOUNT_REPO: REPO_ROOT },
  });
  const { secrets, iam } = account.adminClients();
  // The organization's secrets and variables (DESIGN §5), created by its administrator.
  await secrets.send(new CreateSecretCommand({ Name: 'stageline/acme/database', SecretString: JSON.stringify({ password: DEV_CANARY }) }));
  await secrets.send(new CreateSecretCommand({ Name: 'stageline/acme/app-production/database', SecretString: JSON.stringify({ password: CANARY }) }));
  const ssm = new SSMClient(account.clientConfig());
  await ssm.send(new PutParameterCommand({ Name: '/stageline/acme/variables/observability/log-level', Value: 'info', Type: 'String' }));
  // Staging's own account role, trusting the runner (docs/aws.md).
  await iam.send(
    new CreateRoleCommand({
      RoleName: 'stageline-staging-deployer',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: account.codebuildRoleArn() }, Action: 'sts:AssumeRole' }] }),
    }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'stageline-staging-deployer',
      PolicyName: 'deploy',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }] }),
    }),
  );
}, 300_000);

afterAll(async () => {
  if (account) {
    // Kept for a failure's post-mortem (test-artifacts/ is git-ignored).
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'test-artifacts', 'account-suite.log'), account.logs.map((entry) => `[${entry.source}] ${entry.line}`).join('\n'));
    writeFileSync(join(REPO_ROOT, 'test-artifacts', 'account-suite-calls.log'), account.proxy.calls.map((call) => `${call.principal} ${call.service}:${call.action} ${call.status}${call.denied ? ' DENIED' : ''}`).join('\n'));
  }
  await account?.stop();
});

/** `stageline deploy` to AWS, as a build stage runs it (the test's administrator stands for the CI principal). */
async function deploy(fixture: ServiceFixture, build: { commit: string; branch?: string; image?: string; triggeredBy?: string }): Promise<string> {
  const project = writeService(fixture);
  const lines: string[] = [];
  const io: CliIo = { out: (line) => lines.push(line), err: (line) => lines.push(line), interactive: false, cwd: project };
  const config = account.clientConfig();
  await deployToAwsCommand(
    { project, commit: build.commit, branch: build.branch ?? 'main', image: build.image ?? `registry.example/${fixture.name}:${build.commit.slice(0, 7)}`, triggeredBy: build.triggeredBy ?? 'dev@acme.io', bucket: account.bucket, region: account.moto.region },
    io,
    { s3: new S3Client(config), eventBridge: new EventBridgeClient(config), sfn: new SFNClient(config), env: { STAGELINE_STATE_MACHINE_ARN: account.stateMachineArn } },
  );
  cliLines.push(...lines);
  const execution = lines.find((line) => line.startsWith('execution: '));
  return execution!.slice('execution: '.length);
}

describe('the DeploymentStage stack in an emulated account (IAM enforced)', () => {
  it('a Build Completed event deploys dev and staging, and production once approved through the emailed link', async () => {
    const runId = await deploy({ name: 'orders' }, { commit: 'a'.repeat(40) });
    const run = await account.waitForRun(runId, (current) => current.tasks.some((task) => task.status === 'WAITING_APPROVAL'), 'the production gate');
    await account.settled();
    expect(run.tasks.map((task) => [task.env, task.status])).toEqual([
      ['app-dev', 'SUCCEEDED'],
      ['app-staging', 'SUCCEEDED'],
      ['app-production', 'WAITING_APPROVAL'],
    ]);
    expect(account.proxy.denied()).toEqual([]);
  }, 120_000);
});
