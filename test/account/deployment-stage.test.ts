import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { presignCallerIdentity } from '../../lib/adapters/aws/build-caller-proof.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployToAwsCommand } from '../../lib/cli/commands/deploy-aws.js';
import type { CliIo } from '../../lib/cli/io.js';
import { projectBuild } from '../../lib/local-runtime/project-source.js';
import { parseService } from '../../lib/pipeline/config/service.js';
import { buildKey, buildSourcePrefix, serialize, type RunRecord } from '../../lib/pipeline/workflow/records.js';
import { buildRecordDigest, executionNameFor } from '../../lib/pipeline/workflow/start-pipeline.js';
import { readFileSync } from 'node:fs';
import { EmulatedAccount, REPO_ROOT, type Email } from './emulated-account.js';
import type { Credentials } from '../support/moto-server.js';
import { writeService, type ServiceFixture } from './service-fixture.js';

const FIXTURES = join(REPO_ROOT, 'test', 'account', 'fixtures');
/** Secret values: each must never appear outside the runner process. */
const CANARY = 'canary-7f3e9b1c-production-password';
const SHARED_CANARY = 'canary-52a1d0e8-shared-password';
const STAGING_ROLE_NAME = 'stageline-staging-deployer';
/** The build system: the only principal the stack lets start a deployment (stageline:ciPrincipals). */
const CI_ROLE_NAME = 'stageline-ci';
const CI_ROLE_ARN = `arn:aws:iam::123456789012:role/${CI_ROLE_NAME}`;
let ci: Credentials;
let buildBus: string;
const TRIGGERED_BY = 'dev@acme.io';
/** Who the CI role's session is, as STS says: what every run it starts records as triggeredBy. */
const CI_SESSION_ARN = `arn:aws:sts::123456789012:assumed-role/${CI_ROLE_NAME}/emulated-account`;
/** Denied calls a scenario provoked on purpose (the final check ignores them). */
const provokedDenials = new Set<unknown>();

let account: EmulatedAccount;
const suiteStarted = Date.now();
/** Everything a person or tool outside the runner saw: CLI output and approval emails. */
const seen: string[] = [];
let environmentsDeployed = 0;

beforeAll(async () => {
  account = await EmulatedAccount.create({
    organizationFile: join(FIXTURES, 'organization.yaml'),
    runnerImageEnvironment: { STAGELINE_ACCOUNT_FIXTURES: FIXTURES, STAGELINE_ACCOUNT_REPO: REPO_ROOT },
    context: { 'stageline:ciPrincipals': JSON.stringify([CI_ROLE_ARN]) },
  });
  const { secrets, iam } = account.adminClients();
  // The build system's role, with the policy docs/aws.md gives for `stageline deploy` (plus --follow's DescribeExecution).
  [buildBus] = account.resolver.resourcesOfType('AWS::Events::EventBus').map(([id]) => account.resolver.ref(id));
  await iam.send(
    new CreateRoleCommand({
      RoleName: CI_ROLE_NAME,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::123456789012:user/stageline-test-admin` }, Action: 'sts:AssumeRole' }] }),
    }),
  );
  await iam.send(new PutRolePolicyCommand({ RoleName: CI_ROLE_NAME, PolicyName: 'stageline-deploy', PolicyDocument: JSON.stringify(ciPolicy(account.bucket, buildBus!)) }));
  ci = await account.credentialsFor(CI_ROLE_ARN, 'ci');
  // The organization's secrets and variables (DESIGN §5), created by its administrator.
  await secrets.send(new CreateSecretCommand({ Name: 'stageline/acme/database', SecretString: JSON.stringify({ password: SHARED_CANARY }) }));
  await secrets.send(new CreateSecretCommand({ Name: 'stageline/acme/app-production/database', SecretString: JSON.stringify({ password: CANARY }) }));
  await new SSMClient(account.clientConfig()).send(new PutParameterCommand({ Name: '/stageline/acme/variables/observability/log-level', Value: 'info', Type: 'String' }));
  // Staging's own deployer role (in a real set-up: in staging's account), trusting the runner role (docs/aws.md).
  await iam.send(
    new CreateRoleCommand({
      RoleName: STAGING_ROLE_NAME,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: account.codebuildRoleArn() }, Action: 'sts:AssumeRole' }] }),
    }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: STAGING_ROLE_NAME,
      PolicyName: 'deploy',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }] }),
    }),
  );
}, 300_000);

/** docs/aws.md, "IAM for the build system": the policy for `stageline deploy`. */
function ciPolicy(bucket: string, bus: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: `arn:aws:s3:::${bucket}/builds/*` },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: [`arn:aws:s3:::${bucket}/config/*`, `arn:aws:s3:::${bucket}/runs/*`] },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${bucket}` },
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: `arn:aws:events:us-east-1:123456789012:event-bus/${bus}` },
    ],
  };
}

afterAll(async () => {
  if (!account) return;
  const seconds = (Date.now() - suiteStarted) / 1000;
  const runtimeCalls = account.proxy.calls.filter((call) => call.principal !== 'admin');
  const transitions = [...account.executions.executions.values()].flatMap((execution) => execution.events).filter((event) => event['type'] === 'StateEntered').length;
  const perEnvironment = (count: number) => (environmentsDeployed ? (count / environmentsDeployed).toFixed(1) : 'n/a');
  // The suite's figures (issue 10): printed, never asserted on time.
  console.log(
    [
      `emulated account: ${account.executions.executions.size} executions, ${environmentsDeployed} environments deployed`,
      `  SDK calls by the stack's principals: ${runtimeCalls.length} (${perEnvironment(runtimeCalls.length)} per environment deployed)`,
      `  state transitions: ${transitions} (${perEnvironment(transitions)} per environment deployed)`,
      `  denied calls: ${account.proxy.denied().length}`,
      `  stack-job builds: ${account.codebuild.builds.length}, ${mean(account.codebuild.builds.map((build) => build.ms ?? 0))} ms each on average; Lambda invocations: ${account.lambdas.invocations.length}, ${mean(account.lambdas.invocations.map((invocation) => invocation.ms))} ms each on average`,
      `  wall time: ${seconds.toFixed(1)} s (synthesis ${account.timings.synthSeconds?.toFixed(1)} s, account set-up ${account.timings.setUpSeconds?.toFixed(1)} s)`,
    ].join('\n'),
  );
  // Kept for a failure's post-mortem (test-artifacts/ is git-ignored).
  mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'test-artifacts', 'account-suite.log'), account.logs.map((entry) => `[${entry.source}] ${entry.line}`).join('\n'));
  writeFileSync(join(REPO_ROOT, 'test-artifacts', 'account-suite-calls.log'), account.proxy.calls.map((call) => `${call.principal} ${call.service}:${call.action} ${call.status}${call.denied ? ' DENIED' : ''}`).join('\n'));
  await account.stop();
}, 60_000);

interface BuildInput {
  commit: string;
  branch?: string;
  image?: string;
}

/** `stageline deploy` to AWS, as a build stage runs it (the administrator stands for the CI principal). */
async function deployWithCli(fixture: ServiceFixture, build: BuildInput): Promise<string> {
  const project = writeService(fixture);
  const lines: string[] = [];
  const io: CliIo = { out: (line) => lines.push(line), err: (line) => lines.push(line), interactive: false, cwd: project };
  const config = account.clientConfig(ci);
  await deployToAwsCommand(
    { project, commit: build.commit, branch: build.branch ?? 'main', image: build.image ?? `registry.example/${fixture.name}:${build.commit.slice(0, 7)}`, triggeredBy: TRIGGERED_BY, bucket: account.bucket, region: account.moto.region },
    io,
    { s3: new S3Client(config), eventBridge: new EventBridgeClient(config), sfn: new SFNClient(config), sts: new STSClient(config), env: { STAGELINE_STATE_MACHINE_ARN: account.stateMachineArn, STAGELINE_EVENT_BUS: buildBus } },
  );
  seen.push(...lines);
  return lines.find((line) => line.startsWith('execution: '))!.slice('execution: '.length);
}

/** A record's callerProof, signed with these credentials (the CI role's by default), as `stageline deploy` signs it. */
function callerProof(record: object, credentials: Credentials = ci): string {
  return presignCallerIdentity({ credentials, region: account.moto.region, endpoint: account.proxy.endpoint, recordDigest: buildRecordDigest(record) });
}

/**
 * A build system that only writes the build record (source + build.json, signed with the CI
 * role's credentials): the S3 Object Created event starts the run. Its triggeredBy is whatever
 * the build system claims; the run id is that of the build as the run records it (the caller STS names).
 */
async function uploadBuildRecord(fixture: ServiceFixture, build: BuildInput & { triggeredBy?: string }): Promise<string> {
  const project = writeService(fixture);
  const service = parseService(readFileSync(join(project, 'stageline.yaml'), 'utf8'), 'stageline.yaml');
  const claimed = build.triggeredBy ?? CI_SESSION_ARN;
  const { build: record, source } = projectBuild(project, service, { commitSha: build.commit, branch: build.branch ?? 'main', image: build.image ?? `registry.example/${fixture.name}:${build.commit.slice(0, 7)}`, triggeredBy: claimed }, claimed);
  const s3 = new S3Client(account.clientConfig(ci));
  const prefix = buildSourcePrefix(record.service, record.commitSha);
  for (const [path, content] of source) await s3.send(new PutObjectCommand({ Bucket: account.bucket, Key: `${prefix}${path}`, Body: content }));
  await s3.send(new PutObjectCommand({ Bucket: account.bucket, Key: buildKey(record.service, record.commitSha), Body: serialize({ ...record, callerProof: callerProof(record) }) }));
  return executionNameFor({ ...record, triggeredBy: CI_SESSION_ARN });
}

const mean = (values: number[]) => (values.length ? Math.round(values.reduce((sum, value) => sum + value, 0) / values.length) : 0);
const statuses = (run: RunRecord) => run.tasks.map((task) => [task.env, task.status]);
const gateOpen = (run: RunRecord) => run.tasks.some((task) => task.status === 'WAITING_APPROVAL');

/** The newest approval email of an approver for a run's production gate, and its personal link. */
async function approvalLink(approver: string, runId: string): Promise<string> {
  // The gate is recorded before the notice is published: the email may still be on its way.
  const deadline = Date.now() + 10_000;
  let email: Email | undefined;
  while (!email && Date.now() < deadline) {
    const emails = await account.inbox(approver);
    seen.push(...emails.flatMap((received) => [received.subject, received.message]));
    email = emails.reverse().find((candidate) => candidate.message.includes(runId));
    if (!email) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(email, `${approver} received no approval email for ${runId}`).toBeDefined();
  const link = /https?:\/\/\S+\/a\/\S+/.exec(email!.message)?.[0];
  expect(link, 'the email carries a personal link').toBeDefined();
  return link!;
}

/** GET the emailed link (the page), then POST its form with the decision, as an approver's browser does. */
async function decide(link: string, decision: 'approve' | 'reject', reason = ''): Promise<{ status: number; page: string }> {
  const page = await fetch(link);
  const html = await page.text();
  expect(page.status).toBe(200);
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
  expect(action, 'the page has a decision form').toBeDefined();
  const fields = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(name!, value!.replace(/&amp;/g, '&').replace(/&quot;/g, '"'));
  fields.set('decision', decision);
  fields.set('reason', reason);
  const origin = new URL(link).origin;
  const posted = await fetch(new URL(action!, link), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin }, body: fields.toString() });
  return { status: posted.status, page: await posted.text() };
}

// Each scenario deploys its own service, so they run side by side (as independent runs do in AWS);
// the checks over the whole account come after them.
describe.concurrent('the DeploymentStage stack in an emulated account (IAM enforced)', () => {
  it('a Build Completed event (stageline deploy) deploys three environments, production once approved through the emailed link', async () => {
    const runId = await deployWithCli({ name: 'orders' }, { commit: 'a'.repeat(40) });
    const waiting = await account.waitForRun(runId, gateOpen, 'the production gate');
    // Who triggered it is the CI role's session STS authenticated, not the CLI's --triggered-by.
    expect(waiting.build.triggeredBy).toBe(CI_SESSION_ARN);
    expect(seen.join('\n')).toContain(`--triggered-by ${TRIGGERED_BY} is not used in AWS`);
    expect(statuses(waiting)).toEqual([
      ['app-dev', 'SUCCEEDED'],
      ['app-staging', 'SUCCEEDED'],
      ['app-production', 'WAITING_APPROVAL'],
    ]);

    const decided = await decide(await approvalLink('ops@acme.io', runId), 'approve');
    expect(decided.status).toBe(200);
    const run = await account.waitForRunEnd(runId);
    expect(run.status).toBe('SUCCEEDED');
    expect(statuses(run)).toEqual([
      ['app-dev', 'SUCCEEDED'],
      ['app-staging', 'SUCCEEDED'],
      ['app-production', 'SUCCEEDED'],
    ]);
    environmentsDeployed += 3;
    const objects = await account.objects();
    for (const env of ['app-dev', 'app-staging', 'app-production']) expect(objects.has(`deployed/acme/${env}/orders.yaml`), `deployed/ of ${env}`).toBe(true);
    // The lease of every environment was released.
    expect([...objects.keys()].filter((key) => key.startsWith('locks/'))).toEqual([]);
    expect(account.proxy.denied()).toEqual([]);
  }, 120_000);

  it('an S3 Object Created event for builds/<service>/<commit>/build.json deploys three environments; a record naming an approver as triggeredBy runs as the CI role that signed it', async () => {
    // The build system claims ops@acme.io triggered it: were that believed, ops could not approve.
    const runId = await uploadBuildRecord({ name: 'billing' }, { commit: 'b'.repeat(40), triggeredBy: 'ops@acme.io' });
    const waiting = await account.waitForRun(runId, gateOpen, 'the production gate');
    expect(waiting.build.triggeredBy).toBe(CI_SESSION_ARN);
    expect(account.logs.some((entry) => entry.source.startsWith('function:StartPipeline') && entry.line.includes('ops@acme.io') && entry.line.includes(`as triggeredBy; the run records the caller AWS authenticated: ${CI_SESSION_ARN}`))).toBe(true);
    const decided = await decide(await approvalLink('ops@acme.io', runId), 'approve', 'release 42');
    expect(decided.page).not.toMatch(/triggered this run|cannot approve/i);
    const run = await account.waitForRunEnd(runId);
    expect(statuses(run)).toEqual([
      ['app-dev', 'SUCCEEDED'],
      ['app-staging', 'SUCCEEDED'],
      ['app-production', 'SUCCEEDED'],
    ]);
    environmentsDeployed += 3;
    expect(account.proxy.denied()).toEqual([]);
  }, 120_000);

  it('a gate rejected through the page fails the run: production REJECTED, nothing deployed there', async () => {
    const runId = await deployWithCli({ name: 'search' }, { commit: 'c'.repeat(40) });
    await account.waitForRun(runId, gateOpen, 'the production gate');
    const decided = await decide(await approvalLink('ops@acme.io', runId), 'reject', 'not during the freeze');
    expect(decided.status).toBe(200);
    const run = await account.waitForRunEnd(runId);
    expect(run.status).toBe('FAILED');
    expect(statuses(run)).toEqual([
      ['app-dev', 'SUCCEEDED'],
      ['app-staging', 'SUCCEEDED'],
      ['app-production', 'REJECTED'],
    ]);
    environmentsDeployed += 2;
    expect((await account.objects()).has('deployed/acme/app-production/search.yaml')).toBe(false);
    expect(account.proxy.denied()).toEqual([]);
  }, 120_000);

  it('a failure in staging cancels production: no gate opens, no email is sent', async () => {
    const runId = await deployWithCli({ name: 'payments', failIn: ['staging'] }, { commit: 'd'.repeat(40) });
    const run = await account.waitForRunEnd(runId);
    expect(run.status).toBe('FAILED');
    expect(statuses(run)).toEqual([
      ['app-dev', 'SUCCEEDED'],
      ['app-staging', 'FAILED'],
      ['app-production', 'CANCELLED'],
    ]);
    environmentsDeployed += 2;
    expect(run.tasks[1]!.detail ?? run.failure?.cause ?? '').toMatch(/exit|code 3/);
    const emails = [...(await account.inbox('ops@acme.io')), ...(await account.inbox('lead@acme.io'))];
    expect(emails.filter((email) => email.message.includes(runId))).toEqual([]);
    const objects = await account.objects();
    expect(objects.has('deployed/acme/app-staging/payments.yaml')).toBe(false);
    expect(objects.has('deployed/acme/app-production/payments.yaml')).toBe(false);
    expect(account.proxy.denied()).toEqual([]);
  }, 120_000);

  it('supersede: a newer build of the branch stops the older run at its gate, and deploys', async () => {
    const older = await deployWithCli({ name: 'catalog' }, { commit: 'e'.repeat(40) });
    await account.waitForRun(older, gateOpen, 'the older run at its gate');
    const newer = await deployWithCli({ name: 'catalog' }, { commit: 'f'.repeat(40) });
    const superseded = await account.waitForRunEnd(older);
    expect(superseded.status).toBe('SUPERSEDED');
    expect(superseded.tasks[2]!.status).toBe('SUPERSEDED');
    await account.waitForRun(newer, gateOpen, 'the newer run at its gate');
    await decide(await approvalLink('ops@acme.io', newer), 'approve');
    const run = await account.waitForRunEnd(newer);
    expect(run.status).toBe('SUCCEEDED');
    environmentsDeployed += 5;
    expect((await account.objects()).get('deployed/acme/app-production/catalog.yaml')).toContain(`registry.example/catalog:${'f'.repeat(7)}`);
    expect(account.proxy.denied()).toEqual([]);
  }, 180_000);

  it('queue: a newer build waits QUEUED until the running one ends, then starts by itself', async () => {
    const first = await deployWithCli({ name: 'ledger', concurrency: 'queue' }, { commit: '1'.repeat(40) });
    await account.waitForRun(first, gateOpen, 'the first run at its gate');
    const second = await deployWithCli({ name: 'ledger', concurrency: 'queue' }, { commit: '2'.repeat(40) });
    expect((await account.waitForRun(second, (run) => run.status === 'QUEUED', 'the second run queued')).tasks).toEqual([]);
    await decide(await approvalLink('ops@acme.io', first), 'reject', 'superseded by the next build');
    expect((await account.waitForRunEnd(first)).status).toBe('FAILED');
    // The run that ended (cancel-remaining) started the queued one.
    await account.waitForRun(second, gateOpen, 'the queued run to start and reach its gate');
    await decide(await approvalLink('lead@acme.io', second), 'approve');
    expect((await account.waitForRunEnd(second)).status).toBe('SUCCEEDED');
    environmentsDeployed += 5;
    expect(account.proxy.denied()).toEqual([]);
  }, 180_000);

  it('a repeated event starts one run: the same Build Completed twice more, and build.json uploaded again', async () => {
    const fixture = { name: 'notify' };
    const runId = await deployWithCli(fixture, { commit: '3'.repeat(40) });
    await account.waitForRun(runId, gateOpen, 'the production gate');
    const started = () => account.proxy.calls.filter((call) => call.action === 'StartExecution' && call.body.includes(runId)).length;
    const startsBefore = started();
    await deployWithCli(fixture, { commit: '3'.repeat(40) });
    const run = await account.run(runId);
    await new EventBridgeClient(account.clientConfig(ci)).send(new PutEventsCommand({ Entries: [{ EventBusName: buildBus, Source: 'stageline.build', DetailType: 'Build Completed', Detail: JSON.stringify({ ...run.build, callerProof: callerProof(run.build) }) }] }));
    await account.settled();
    expect([...account.executions.executions.values()].filter((execution) => execution.name === runId)).toHaveLength(1);
    expect(started()).toBeGreaterThanOrEqual(startsBefore);
    expect(statuses(await account.run(runId))).toEqual(statuses(run));
    await decide(await approvalLink('ops@acme.io', runId), 'approve');
    expect((await account.waitForRunEnd(runId)).status).toBe('SUCCEEDED');
    environmentsDeployed += 3;
    expect(account.proxy.denied()).toEqual([]);
  }, 120_000);

  it('an execution stopped by hand (StopExecution) is reconciled: the run is CANCELLED and its gate closed', async () => {
    const runId = await deployWithCli({ name: 'audit' }, { commit: '4'.repeat(40) });
    await account.waitForRun(runId, gateOpen, 'the production gate');
    const link = await approvalLink('ops@acme.io', runId);
    const execution = [...account.executions.executions.values()].find((candidate) => candidate.name === runId)!;
    // An operator in the console: outside the state machine's Catch, so only the Execution Status Change event tells Stageline.
    await new SFNClient(account.clientConfig()).send(new StopExecutionCommand({ executionArn: execution.arn, cause: 'stopped from the console' }));
    const run = await account.waitForRunEnd(runId);
    expect(run.status).toBe('CANCELLED');
    expect(statuses(run)).toEqual([
      ['app-dev', 'SUCCEEDED'],
      ['app-staging', 'SUCCEEDED'],
      ['app-production', 'CANCELLED'],
    ]);
    environmentsDeployed += 2;
    // The emailed link no longer decides anything.
    const page = await fetch(link);
    expect(await page.text()).toMatch(/closed|cancelled|over/i);
    expect(account.proxy.denied()).toEqual([]);
  }, 120_000);

});

describe('the emulated account after every scenario', () => {
  it("a start-pipeline failure lands in the dead-letter queue, sent with the function's own role", async () => {
    const [queue] = account.resolver.resourcesOfType('AWS::SQS::Queue');
    expect(queue, 'the template has a dead-letter queue').toBeDefined();
    const queueUrl = account.resolver.getAtt(queue![0], 'QueueUrl');
    await account.receiveAll(queueUrl);
    const before = 0;
    // A Build Completed event for a build whose source was never uploaded: start-pipeline fails on every attempt.
    const detail = { org: 'acme', service: 'ghost', commitSha: '5'.repeat(40), branch: 'main', image: 'registry.example/ghost:1', triggeredBy: CI_SESSION_ARN };
    await new EventBridgeClient(account.clientConfig(ci)).send(new PutEventsCommand({ Entries: [{ EventBusName: buildBus, Source: 'stageline.build', DetailType: 'Build Completed', Detail: JSON.stringify({ ...detail, callerProof: callerProof(detail) }) }] }));
    await account.settled();
    expect(await account.queueDepth(queueUrl)).toBe(before + 1);
    const record = JSON.parse((await account.receiveAll(queueUrl)).at(-1)!) as { requestPayload: { detail: { service: string } }; responsePayload: { errorType: string; errorMessage: string } };
    expect(record.requestPayload.detail.service).toBe('ghost');
    // What an operator reads in the queue and the execution history: the error's real name, not a minified one.
    expect(record.responsePayload.errorType).toBe('ConfigError');
    expect(record.responsePayload.errorMessage).toMatch(/no source uploaded for ghost/);
    expect(account.proxy.calls.some((call) => call.action === 'SendMessage' && call.principal.startsWith('function:StartPipeline') && call.status === 200)).toBe(true);
    expect((await account.objects()).has(`runs/${executionNameFor(detail)}/run.json`)).toBe(false);
    expect(account.proxy.denied()).toEqual([]);
  }, 60_000);

  it('a build record whose callerProof is absent, forged or for another record starts nothing: each lands in the dead-letter queue saying why', async () => {
    const [queue] = account.resolver.resourcesOfType('AWS::SQS::Queue');
    const queueUrl = account.resolver.getAtt(queue![0], 'QueueUrl');
    await account.receiveAll(queueUrl);
    const deniedBefore = new Set(account.proxy.denied());
    // orders' source is uploaded (the first scenario): only the proof stands between these events and a deployment.
    const detail = { org: 'acme', service: 'orders', commitSha: 'a'.repeat(40), branch: 'main', image: 'evil.example/orders:latest', triggeredBy: CI_SESSION_ARN };
    const forged = callerProof(detail, { ...ci, secretAccessKey: 'not-the-ci-secret' });
    const another = callerProof({ ...detail, image: 'registry.example/orders:aaaaaaa' });
    const publish = (record: object) =>
      new EventBridgeClient(account.clientConfig(ci)).send(new PutEventsCommand({ Entries: [{ EventBusName: buildBus, Source: 'stageline.build', DetailType: 'Build Completed', Detail: JSON.stringify(record) }] }));

    await publish(detail);
    await publish({ ...detail, callerProof: forged });
    await publish({ ...detail, callerProof: another });
    await account.settled();

    const records = (await account.receiveAll(queueUrl)).map((body) => JSON.parse(body) as { responsePayload: { errorType: string; errorMessage: string } });
    expect(records.map((record) => record.responsePayload.errorType)).toEqual(['BuildNotAuthenticatedError', 'BuildNotAuthenticatedError', 'BuildNotAuthenticatedError']);
    expect(records.map((record) => record.responsePayload.errorMessage).sort()).toEqual([
      'start-pipeline: refused the build: the record has a callerProof STS refused (SignatureDoesNotMatch): it was signed for another record, has expired, or is forged',
      'start-pipeline: refused the build: the record has a callerProof STS refused (SignatureDoesNotMatch): it was signed for another record, has expired, or is forged',
      'start-pipeline: refused the build: the record has no callerProof',
    ]);
    expect([...(await account.objects()).keys()].filter((key) => key.startsWith('runs/') && key.includes(executionNameFor(detail)))).toEqual([]);
    expect([...account.executions.executions.values()].filter((execution) => execution.name === executionNameFor(detail))).toEqual([]);
    // What STS refused (the forged and the misbound proof, each tried three times) is all that was denied.
    const provoked = account.proxy.denied().filter((call) => !deniedBefore.has(call));
    expect(provoked.map((call) => `${call.principal} ${call.service}:${call.action}`)).toEqual(Array(6).fill('ci sts:GetCallerIdentity'));
    for (const call of provoked) provokedDenials.add(call);
  }, 90_000);

  it('the approval URL refuses forged and outdated links without a single S3 call', async () => {
    await account.settled();
    // The newest approval email ops@acme.io received (its gate is closed by now; the link is still authentic).
    const emails = await account.inbox('ops@acme.io');
    const link = new URL(/https?:\/\/\S+\/a\/\S+/.exec(emails.at(-1)!.message)![0]);
    const sig = link.searchParams.get('sig')!;
    const variant = (change: Record<string, string>) => {
      const url = new URL(link);
      for (const [name, value] of Object.entries(change)) url.searchParams.set(name, value);
      return url;
    };
    const approvalCalls = () => account.proxy.calls.filter((call) => call.principal.startsWith('function:Approval') && call.service === 's3').length;
    const before = approvalCalls();

    const statuses: number[] = [];
    for (const url of [variant({ sig: `${sig.slice(0, -4)}AAAA` }), variant({ sig: sig.replace(/^v2\./, '') }), variant({ approver: 'lead@acme.io' }), variant({ exp: String(Math.floor(Date.now() / 1000) - 60) })]) {
      statuses.push((await fetch(url)).status);
      const form = new URLSearchParams({ approver: url.searchParams.get('approver')!, exp: url.searchParams.get('exp')!, sig: url.searchParams.get('sig')!, formToken: 'x', decision: 'approve' });
      statuses.push((await fetch(new URL(`${url.pathname}/decision`, url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() })).status);
    }

    expect(statuses).toEqual([403, 403, 410, 410, 403, 403, 403, 403]);
    // Not one S3 call by the approval function: a flood of forged links costs it only its own invocation.
    expect(approvalCalls()).toBe(before);
    expect(before).toBeGreaterThan(0);
  }, 60_000);

  it('an object under builds/ that is not builds/<service>/<commit>/build.json is ignored quietly', async () => {
    const [queue] = account.resolver.resourcesOfType('AWS::SQS::Queue');
    const queueUrl = account.resolver.getAtt(queue![0], 'QueueUrl');
    await account.receiveAll(queueUrl);
    await new S3Client(account.clientConfig(ci)).send(new PutObjectCommand({ Bucket: account.bucket, Key: 'builds/orders/extra/nested/build.json', Body: '{}' }));
    await account.settled();
    expect(account.logs.some((entry) => entry.source.startsWith('function:StartPipeline') && entry.line.includes('ignored S3 object builds/orders/extra/nested/build.json'))).toBe(true);
    expect(await account.queueDepth(queueUrl)).toBe(0);
  }, 60_000);

  it("staging's stack job runs with staging's awsRoleArn; the other environments get no AWS credentials at all", async () => {
    const objects = await account.objects();
    // The fixture provisioner reports who it ran as (STS GetCallerIdentity) as the output callerArn.
    const callerOf = (env: string) => String((JSON.parse(objects.get(`outputs/acme/${env}/KubernetesDeployment/orders.json`) ?? '{}') as { callerArn?: string }).callerArn);
    expect(callerOf('app-staging')).toMatch(new RegExp(`:assumed-role/${STAGING_ROLE_NAME}/`));
    // Never the runner's role: it reads every environment's secrets and answers any stack-job step.
    expect(callerOf('app-dev')).toMatch(/^none \(/);
    expect(callerOf('app-production')).toMatch(/^none \(/);
    expect(account.proxy.calls.some((call) => call.principal === 'runner' && call.action === 'AssumeRole' && call.body.includes(STAGING_ROLE_NAME) && call.status === 200)).toBe(true);
  });

  it("a provisioner that tries to take the runner's credentials (other processes' environments, their endpoints) gets nothing", async () => {
    const objects = await account.objects();
    const attempts = [...objects].filter(([key]) => key.startsWith('outputs/')).map(([key, body]) => [key, (JSON.parse(body) as { credentialsStolen?: string }).credentialsStolen]);
    expect(attempts.length).toBeGreaterThan(10);
    expect(attempts.filter(([, stolen]) => stolen !== '0'), JSON.stringify(attempts)).toEqual([]);
    // It ran as an unprivileged user: the runner (root, as in CodeBuild) said so in every job's log.
    expect(account.logs.filter((entry) => entry.line.includes('provisioner commands run as nobody')).length).toBeGreaterThan(10);
    expect(account.proxy.calls.filter((call) => call.principal === 'runner' && call.action === 'GetCallerIdentity')).toEqual([]);
  });

  it('no secret value is in any object, log line, state payload, callback, email or CLI output', async () => {
    await account.settled();
    const places: Array<[string, string]> = [];
    for (const [key, body] of await account.objects()) places.push([`s3://${key}`, body]);
    for (const entry of account.logs) places.push([`log ${entry.source}`, entry.line]);
    for (const execution of account.executions.executions.values()) places.push([`history of ${execution.name}`, JSON.stringify(execution.events)]);
    // Everything any principal sent, except the administrator's set-up (which wrote the secrets) and the runner's reads of them.
    for (const call of account.proxy.calls) {
      if (call.principal === 'admin' || call.action === 'GetSecretValue') continue;
      places.push([`${call.principal} ${call.service}:${call.action}`, `${call.body}\n${call.response}`]);
    }
    for (const line of seen) places.push(['CLI output or email', line]);
    expect(places.length).toBeGreaterThan(100);
    const leaks = places.filter(([, text]) => text.includes(CANARY) || text.includes(SHARED_CANARY)).map(([where]) => where);
    expect(leaks).toEqual([]);
    // The secrets were used: the runner read them (and nothing else did).
    const readers = new Set(account.proxy.calls.filter((call) => call.action === 'GetSecretValue' && call.body.includes('stageline/acme')).map((call) => call.principal));
    expect([...readers]).toEqual(['runner']);
  });

  it('only the build systems start deployments: a principal with broad PutEvents and PutObject grants is refused on the build bus and builds/', async () => {
    // Prepare: an IAM user of the same account allowed every PutEvents and PutObject.
    const { iam } = account.adminClients();
    await iam.send(new CreateUserCommand({ UserName: 'intruder' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'intruder', PolicyName: 'broad', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['events:PutEvents', 's3:PutObject', 's3:GetObject', 's3:ListBucket'], Resource: '*' }] }) }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'intruder' }));
    const intruder = { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
    account.proxy.nameAccessKey(intruder.accessKeyId, 'intruder');
    const detail = { org: 'acme', service: 'orders', commitSha: '6'.repeat(40), branch: 'main', image: 'evil.example/orders:latest', triggeredBy: 'ops@acme.io' };

    // Act
    const published = new EventBridgeClient(account.clientConfig(intruder)).send(new PutEventsCommand({ Entries: [{ EventBusName: buildBus, Source: 'stageline.build', DetailType: 'Build Completed', Detail: JSON.stringify(detail) }] }));
    const uploaded = new S3Client(account.clientConfig(intruder)).send(new PutObjectCommand({ Bucket: account.bucket, Key: buildKey('orders', '6'.repeat(40)), Body: JSON.stringify(detail) }));

    // Assess
    await expect(published).rejects.toThrow();
    await expect(uploaded).rejects.toMatchObject({ name: 'AccessDenied' });
    // Refused by IAM (the resource policies' explicit denies), not by anything else.
    expect(account.proxy.denied().filter((call) => call.principal === 'intruder').map((call) => `${call.service}:${call.action}`).sort()).toEqual(['events:PutEvents', 's3:PutObject']);
    await account.settled();
    expect([...(await account.objects()).keys()].filter((name) => name.includes('6666666666'))).toEqual([]);
  }, 60_000);

  it("no call of the whole suite was denied (but the intruder's and the forged proofs')", () => {
    expect(account.proxy.denied().filter((call) => call.principal !== 'intruder' && !provokedDenials.has(call)).map((call) => `${call.principal} ${call.service}:${call.action}`)).toEqual([]);
  });
});
