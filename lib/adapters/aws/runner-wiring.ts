import { STSClient } from '@aws-sdk/client-sts';
import type { JobProvisioner, StackJobDeps } from '../../pipeline/stack-job/run-stack-job.js';
import { loadOrganization } from '../../pipeline/workflow/source-tree.js';
import type { StackJobRequest } from '../../ports/stack-job-launcher.js';
import type { TaskCallbacks } from '../../ports/task-callbacks.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import { parseStackJobRequest } from '../../pipeline/stack-job/stack-job-request.js';
import { provisionerFor } from '../local/provisioners.js';
import { assumeEnvironmentRole, clientsForJob, type ClientsForJobOptions } from './clients-for-job.js';
import { startCredentialsEndpoint, type ContainerCredentialsEnvironment } from './credentials-endpoint.js';
import { requireEnv } from './lambda-environment.js';
import { provisionerUser } from './provisioner-user.js';
import { S3ArtifactStore } from './s3-artifact-store.js';
import { StagelineError } from '../../errors.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerSecretSource } from './secrets-manager-secret-source.js';
import { SfnTaskCallbacks } from './sfn-task-callbacks.js';
import { SsmVariableSource } from './ssm-variable-source.js';

/** The adapters `stageline stack-job run` uses in CodeBuild; the command adds `clock` and `log`. */
export type AwsStackJobDeps = Pick<StackJobDeps, 'store' | 'secrets' | 'variables' | 'callbacks' | 'provisionerFor'>;

/** The runner runs in AWS when this variable names the Stageline bucket (the CodeBuild project sets it). */
export const RUNNER_BUCKET_VARIABLE = 'STAGELINE_BUCKET';

export function runsInAws(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[RUNNER_BUCKET_VARIABLE]?.trim());
}

/**
 * The stack-job runner's adapters in AWS (CodeBuild): the S3 store of `STAGELINE_BUCKET`, Step
 * Functions callbacks (answering with the job file's newest task token), Secrets Manager and SSM
 * for references — all with the runner's own role. Nothing here calls AWS: the runner's first call
 * is its heartbeat (the step's heartbeat timeout has been running since CodeBuild queued the build).
 *
 * `provisionerFor` does the slow and environment-specific part, which the runner asks for once the
 * job holds the environment's lease: it loads the organization config and, when the job names
 * `awsRoleArn`, assumes that role and starts a loopback credentials endpoint for it
 * ({@link startCredentialsEndpoint}): the provisioner's commands read the role's credentials from
 * there, renewed before they expire, and never see the runner's own. The endpoint stops when
 * provisioning is over. A role that cannot be assumed or an unreadable organization config make it
 * throw inside the runner's own error handling: the job fails through the workflow, nothing applied.
 */
export async function awsStackJobDeps(
  request: StackJobRequest,
  env: NodeJS.ProcessEnv = process.env,
  options: ClientsForJobOptions = {},
): Promise<AwsStackJobDeps> {
  const bucket = requireEnv(RUNNER_BUCKET_VARIABLE, env);
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const clientOptions: ClientsForJobOptions = { ...options, ...(region ? { region } : {}) };
  const clients = clientsForJob(clientOptions);
  const store = new S3ArtifactStore({ bucket, client: clients.s3 });
  const callbacks = latestTokenCallbacks(new SfnTaskCallbacks({ client: clients.sfn }), store, request, env[RUNNER_JOB_KEY_VARIABLE]?.trim());

  const provisionerForJob = async (kind: string, log: (line: string) => void): Promise<JobProvisioner> => {
    const organization = await loadOrganization(store);
    const runAs = provisionerUser(env);
    if (runAs) log(`provisioner commands run as ${runAs.name} (uid ${runAs.uid}): the runner's credentials are out of their reach`);
    else log("provisioner commands run as the runner's own user (it is not root): they can read the runner's environment, and so its credentials");
    const roleArn = request.awsRoleArn;
    if (!roleArn) return provisionerFor(organization, store, { env: commandEnvironment(env, undefined), ...(runAs ? { runAs } : {}) })(kind);

    const sts = clientOptions.sts ?? new STSClient(region ? { region } : {});
    const endpoint = await startCredentialsEndpoint({
      assume: () => assumeEnvironmentRole(request, { ...clientOptions, sts }),
      describe: `${roleArn} for ${request.env}`,
      log,
    });
    try {
      const inner = provisionerFor(organization, store, { env: commandEnvironment(env, endpoint.environment), ...(runAs ? { runAs } : {}) })(kind);
      return { provision: (job, jobLog) => inner.provision(job, jobLog), close: () => endpoint.close() };
    } catch (error) {
      await endpoint.close();
      throw error;
    }
  };

  return {
    store,
    callbacks,
    secrets: new SecretsManagerSecretSource({ client: clients.secretsManager }),
    variables: new SsmVariableSource({ client: clients.ssm }),
    provisionerFor: provisionerForJob,
  };
}

/**
 * TaskCallbacks that answer with the newest task token of the job file (`STAGELINE_JOB_KEY`),
 * read again before each call. A retried launch step gets a new task token but — through the
 * idempotency token — the same build, and rewrites the job file: only the newest token is the
 * open step's. Falls back to the token the call was given (the one the runner started with) when
 * there is no key, the file cannot be read or parsed, or it is another job.
 */
export function latestTokenCallbacks(inner: TaskCallbacks, store: ArtifactStore, request: StackJobRequest, jobKey: string | undefined): TaskCallbacks {
  if (!jobKey) return inner;
  const latest = async (given: string): Promise<string> => {
    try {
      const object = await store.get(jobKey);
      if (!object) return given;
      const job = parseStackJobRequest(object.body, jobKey);
      const sameJob = job.runId === request.runId && job.taskIndex === request.taskIndex && job.digest === request.digest;
      return sameJob ? job.taskToken : given;
    } catch {
      return given;
    }
  };
  return {
    succeed: async (token, output) => inner.succeed(await latest(token), output),
    fail: async (token, error, cause) => inner.fail(await latest(token), error, cause),
    heartbeat: async (token) => inner.heartbeat(await latest(token)),
  };
}

/** Variables through which a process could reach the runner's own credentials (or pick other ones first). */
const RUNNER_CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
] as const;

/**
 * The provisioner commands' environment: this process's without the job and the way to it (the
 * job holds the task token). With an environment role, the commands get the variables of its
 * credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN) —
 * every AWS SDK and the AWS CLI read them, and renew through them — and lose every variable that
 * would lead to the runner's own role or take precedence over the endpoint (static keys, profiles,
 * CodeBuild's own container credentials, web identity), and the instance metadata fallback.
 * Without a role they run as the runner role (docs/aws.md, "Environment roles"): give production
 * environments a role.
 */
export function commandEnvironment(env: NodeJS.ProcessEnv, credentials: ContainerCredentialsEnvironment | undefined): NodeJS.ProcessEnv {
  const { STAGELINE_JOB: _job, STAGELINE_JOB_KEY: _jobKey, STAGELINE_BUCKET: _bucket, ...rest } = env;
  const base: NodeJS.ProcessEnv = { ...rest };
  for (const name of RUNNER_CREDENTIAL_VARIABLES) delete base[name];
  // Without an environment role the commands get no AWS credentials at all: the runner's role reads
  // every environment's secrets and answers any stack-job step, so it is never theirs.
  if (!credentials) return { ...base, AWS_EC2_METADATA_DISABLED: 'true' };
  return {
    ...base,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: credentials.AWS_CONTAINER_CREDENTIALS_FULL_URI,
    AWS_CONTAINER_AUTHORIZATION_TOKEN: credentials.AWS_CONTAINER_AUTHORIZATION_TOKEN,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Where the launcher put the job (`runs/<runId>/jobs/<index>-<overlay>.json`); the build gets only this key. */
export const RUNNER_JOB_KEY_VARIABLE = 'STAGELINE_JOB_KEY';

/** The job JSON the launcher wrote to the bucket, or undefined when `STAGELINE_JOB_KEY` is not set. */
export async function readJobFromBucket(env: NodeJS.ProcessEnv = process.env, client?: S3Client): Promise<string | undefined> {
  const key = env[RUNNER_JOB_KEY_VARIABLE]?.trim();
  if (!key) return undefined;
  const store = new S3ArtifactStore({ bucket: requireEnv(RUNNER_BUCKET_VARIABLE, env), ...(client ? { client } : {}) });
  const object = await store.get(key);
  if (!object) throw new StagelineError('STACK_JOB_MISSING', `the stack job ${key} is not in the bucket`);
  return object.body;
}
