import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { presignCallerIdentity, stsEndpoint, triggeredByOf } from '../../adapters/aws/build-caller-proof.js';
import { EventBridgePublisher } from '../../adapters/aws/eventbridge-publisher.js';
import { S3ArtifactStore } from '../../adapters/aws/s3-artifact-store.js';
import { executionArnFor } from '../../adapters/aws/sfn-execution-starter.js';
import { operatorIdentity } from '../../adapters/local/operator-identity.js';
import { ConfigError, StagelineError, UsageError } from '../../errors.js';
import { formatRunTable, watchRun } from '../../local-runtime/progress.js';
import { projectBuild } from '../../local-runtime/project-source.js';
import { parseOrganization } from '../../pipeline/config/organization.js';
import { parseService } from '../../pipeline/config/service.js';
import { buildKey, buildSourcePrefix, organizationKey, readRun, serialize, type RunRecord } from '../../pipeline/workflow/records.js';
import { buildRecordDigest, executionNameFor } from '../../pipeline/workflow/start-pipeline.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { CliIo } from '../io.js';

export interface DeployToAwsOptions {
  project: string;
  /** Poll run.json and print each environment's progress until the run ends. */
  follow?: boolean;
  branch?: string;
  commit?: string;
  image?: string;
  tag?: string;
  triggeredBy?: string;
  /** The Stageline bucket. Default: env STAGELINE_BUCKET. */
  bucket?: string;
  /** Default: env AWS_REGION / AWS_DEFAULT_REGION, else the AWS profile's region. */
  region?: string;
}

/** Injection points for tests; every field has a working default. */
export interface DeployToAwsDeps {
  s3?: S3Client;
  eventBridge?: EventBridgeClient;
  sfn?: SFNClient;
  /** Who the credentials are (GetCallerIdentity), and whose they are that sign the record's callerProof. */
  sts?: STSClient;
  env?: NodeJS.ProcessEnv;
  /** How often --follow reads run.json (default 3 s). */
  pollMs?: number;
  /** How long --follow waits for start-pipeline to create the run (default 2 minutes). */
  startTimeoutMs?: number;
}

/** The build bus of a stack deployed with the default name (`Stageline`): `<stack>-builds`. */
export const DEFAULT_BUILD_BUS = 'Stageline-builds';

/** At most this many uploads at once. */
const UPLOAD_CONCURRENCY = 8;

/**
 * `stageline deploy` to AWS: does what a build stage does — uploads the source subset
 * (`builds/<service>/<commit>/source/`: stageline.yaml + the kustomize tree) and `build.json` to
 * the Stageline bucket, and publishes the `Build Completed` event. Rendering happens in the
 * deployment stage (ResolveManifests), not here. Prints the execution name (the run id: the same
 * build always names the same execution) and its console URL; `--follow` prints each
 * environment's progress until the run ends and fails (exit 1) unless it succeeded.
 */
export async function deployToAwsCommand(options: DeployToAwsOptions, io: CliIo, deps: DeployToAwsDeps = {}): Promise<void> {
  const env = deps.env ?? process.env;
  const bucket = options.bucket ?? env.STAGELINE_BUCKET;
  if (!bucket) {
    throw new UsageError('no Stageline bucket: pass --bucket NAME or set STAGELINE_BUCKET', {
      hint: 'the DeploymentStage stack prints it as an output (BucketName); or deploy locally with --local',
    });
  }
  const requestedRegion = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const clientConfig = requestedRegion ? { region: requestedRegion } : {};
  const s3 = deps.s3 ?? new S3Client(clientConfig);
  const region = requestedRegion ?? (await regionOf(s3));
  const store = new S3ArtifactStore({ bucket, client: s3 });

  // The service and its source, exactly as `deploy --local` collects them.
  const projectDir = resolve(io.cwd, options.project);
  const serviceFile = join(projectDir, 'stageline.yaml');
  let serviceText: string;
  try {
    serviceText = readFileSync(serviceFile, 'utf8');
  } catch {
    throw new ConfigError(`${serviceFile}: cannot read stageline.yaml`, { hint: 'run it in a service repository, or pass --project DIR' });
  }
  const service = parseService(serviceText, serviceFile);
  const { build, source } = projectBuild(
    projectDir,
    service,
    {
      ...(options.commit ? { commitSha: options.commit } : {}),
      ...(options.branch ? { branch: options.branch } : {}),
      ...(options.image ? { image: options.image } : {}),
      ...(options.tag ? { tag: options.tag } : {}),
      ...(options.triggeredBy ? { triggeredBy: options.triggeredBy } : {}),
    },
    operatorIdentity(projectDir),
  );

  // The bucket must be a Stageline bucket of this service's organization.
  await checkOrganization(store, bucket, build.org, serviceFile);

  // triggeredBy is who these credentials are, as start-pipeline will learn it from STS (the
  // record's callerProof); a name of our own choosing would be replaced there anyway.
  const sts = deps.sts ?? new STSClient(clientConfig);
  const caller = await callerOf(sts);
  if (options.triggeredBy && options.triggeredBy !== caller.triggeredBy) {
    io.err(`note: --triggered-by ${options.triggeredBy} is not used in AWS: the run records the caller AWS authenticates, ${caller.triggeredBy}`);
  }
  build.triggeredBy = caller.triggeredBy;
  const record = { ...build, callerProof: await signRecord(sts, region, build, env) };

  const runId = executionNameFor(build);
  const previous = await readRun(store, runId);

  // Upload: the source first, build.json last (the S3 rule starts a run on build.json).
  const prefix = buildSourcePrefix(build.service, build.commitSha);
  const stale = (await store.list(prefix)).filter((key) => !source.has(key.slice(prefix.length)));
  await inParallel([...source], ([path, content]) => store.put(`${prefix}${path}`, content));
  await inParallel(stale, (key) => store.delete(key));
  await store.put(buildKey(build.service, build.commitSha), serialize(record));
  io.err(`uploaded ${source.size} source file${source.size === 1 ? '' : 's'} and build.json to s3://${bucket}/builds/${build.service}/${build.commitSha}/`);

  const eventBridge = deps.eventBridge ?? new EventBridgeClient(clientConfig);
  // The stack's build bus (output BuildEventBusName), not the default bus: only it has the rule.
  const eventBusName = env.STAGELINE_EVENT_BUS?.trim() || DEFAULT_BUILD_BUS;
  await new EventBridgePublisher({ client: eventBridge, eventBusName }).publishBuildCompleted(record);
  io.err(`published Build Completed on ${eventBusName}: ${build.service} ${build.commitSha.slice(0, 12)} (${build.branch}) → ${build.image}`);

  const sfn = deps.sfn ?? new SFNClient(clientConfig);
  const stateMachineArn = env.STAGELINE_STATE_MACHINE_ARN ?? (await findStateMachine(sfn));
  const executionArn = stateMachineArn ? executionArnFor(stateMachineArn, runId) : undefined;
  io.out(`execution: ${runId}`);
  io.out(`console: ${consoleUrl(region, executionArn)}`);
  if (previous) {
    io.err(`this build already ran as ${runId} (${previous.status}); nothing new started`);
    io.err('hint: a changed overlay, --commit or --image makes a new build');
  }
  if (!options.follow) {
    io.err('hint: add --follow to see each environment progress here');
    return;
  }

  const run = await followRun({ store, sfn, runId, executionArn, io, pollMs: deps.pollMs ?? 3000, startTimeoutMs: deps.startTimeoutMs ?? 120_000, previous });
  for (const line of formatRunTable(run)) io.out(line);
  if (run.status !== 'SUCCEEDED') {
    throw new StagelineError('RUN_FAILED', `run ${run.runId} ${run.status.toLowerCase()}${run.failure ? `: ${run.failure.cause}` : ''}`, {
      hint: `the execution history: ${consoleUrl(region, executionArn)}`,
    });
  }
}

interface FollowInput {
  store: ArtifactStore;
  sfn: SFNClient;
  runId: string;
  executionArn: string | undefined;
  io: CliIo;
  pollMs: number;
  startTimeoutMs: number;
  previous: RunRecord | undefined;
}

/** Polls run.json until the run ends, printing each environment whose status changed. */
async function followRun(input: FollowInput): Promise<RunRecord> {
  const { store, runId, io, pollMs } = input;
  const started = Date.now();
  const watcher = watchRun(store, runId, (task) => {
    const elapsed = `${((Date.now() - started) / 1000).toFixed(0)}s`;
    io.err(`  ${elapsed.padStart(6)}  ${task.env.padEnd(20)} ${task.status}${task.detail ? `  ${task.detail}` : ''}`);
  }, pollMs);
  let polls = 0;
  try {
    for (;;) {
      const run = await readRun(store, runId);
      // A queued run has not started yet: keep following until it runs and ends.
      if (run && run.status !== 'RUNNING' && run.status !== 'QUEUED') return run;
      if (!run && Date.now() - started > input.startTimeoutMs) {
        throw new StagelineError('RUN_NOT_STARTED', `no run ${runId} appeared within ${Math.round(input.startTimeoutMs / 1000)} s of the Build Completed event`, {
          hint: "the start-pipeline function's log says why (a build.json it refused, a missing organization config)",
        });
      }
      // Every 10th poll: an execution that ended without updating run.json would otherwise be followed forever.
      if (run && run.status !== 'QUEUED' && input.executionArn && ++polls % 10 === 0) {
        const ended = await executionEnded(input.sfn, input.executionArn);
        if (ended) {
          const latest = (await readRun(store, runId)) ?? run;
          if (latest.status !== 'RUNNING' && latest.status !== 'QUEUED') return latest;
          throw new StagelineError('RUN_ENDED_UNRECORDED', `execution ${runId} ended ${ended}, but its run record still says RUNNING`, {
            hint: 'the execution history in the console says which step stopped it',
          });
        }
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    await watcher.stop();
  }
}

async function executionEnded(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  try {
    const response = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return response.status && response.status !== 'RUNNING' && response.status !== 'PENDING_REDRIVE' ? response.status : undefined;
  } catch {
    return undefined; // Not visible (permissions, not started yet): keep following run.json.
  }
}

async function checkOrganization(store: ArtifactStore, bucket: string, org: string, serviceFile: string): Promise<void> {
  const object = await store.get(organizationKey);
  if (!object) {
    throw new ConfigError(`s3://${bucket}/${organizationKey} does not exist`, { hint: "is it the DeploymentStage stack's bucket? the stack uploads the organization config there" });
  }
  const organization = parseOrganization(object.body, `s3://${bucket}/${organizationKey}`);
  if (organization.metadata.name !== org) {
    throw new ConfigError(`${serviceFile}: metadata.org is ${JSON.stringify(org)} but the bucket's organization is ${JSON.stringify(organization.metadata.name)}`);
  }
}

/** The state machine when it can be found: the only one whose name mentions Stageline or DeploymentStage. */
async function findStateMachine(sfn: SFNClient): Promise<string | undefined> {
  try {
    const candidates: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListStateMachinesCommand({ nextToken }));
      for (const machine of page.stateMachines ?? []) {
        if (/stageline|deploymentstage/i.test(machine.name ?? '') && machine.stateMachineArn) candidates.push(machine.stateMachineArn);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return candidates.length === 1 ? candidates[0] : undefined;
  } catch {
    return undefined;
  }
}

function consoleUrl(region: string, executionArn: string | undefined): string {
  const base = `https://${region}.console.aws.amazon.com/states/home?region=${region}`;
  return executionArn ? `${base}#/v2/executions/details/${executionArn}` : `${base}#/statemachines (set STAGELINE_STATE_MACHINE_ARN for a direct link)`;
}

/** The caller these credentials are (no IAM permission is needed for GetCallerIdentity). */
async function callerOf(sts: STSClient): Promise<{ arn: string; triggeredBy: string }> {
  let arn: string | undefined;
  try {
    arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } catch (error) {
    throw new StagelineError('AWS_CREDENTIALS', `cannot tell who these AWS credentials are (sts:GetCallerIdentity): ${(error as Error).message.split('\n')[0]}`, {
      hint: "the build system's role (stageline:ciPrincipals): aws configure, SSO, or the CI's OIDC role",
    });
  }
  if (!arn) throw new StagelineError('AWS_CREDENTIALS', 'sts:GetCallerIdentity named no caller', { hint: 'check the AWS credentials this runs with' });
  return { arn, triggeredBy: triggeredByOf(arn) };
}

/** The record's callerProof: a GetCallerIdentity presigned with these credentials, bound to the record (docs/aws.md §5). */
async function signRecord(sts: STSClient, region: string, build: RunRecord['build'], env: NodeJS.ProcessEnv): Promise<string> {
  const credentials = await sts.config.credentials();
  const custom = sts.config.endpoint ? await sts.config.endpoint() : undefined;
  const endpoint = custom ? `${custom.protocol}//${custom.hostname}${custom.port ? `:${custom.port}` : ''}` : stsEndpoint(region, env);
  return presignCallerIdentity({ credentials, region, endpoint, recordDigest: buildRecordDigest({ ...build }) });
}

async function regionOf(client: S3Client): Promise<string> {
  try {
    const region = await client.config.region();
    if (region) return region;
  } catch {
    // No region configured anywhere.
  }
  throw new UsageError('no AWS region: pass --region or set AWS_REGION', { hint: 'the region the DeploymentStage stack is deployed in' });
}

async function inParallel<T>(items: T[], work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, items.length) }, worker));
}
