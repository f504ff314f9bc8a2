import type { StackJobDeps } from '../../pipeline/stack-job/run-stack-job.js';
import { loadOrganization } from '../../pipeline/workflow/source-tree.js';
import type { Provisioner } from '../../ports/provisioner.js';
import type { SecretSource } from '../../ports/secret-source.js';
import type { StackJobRequest } from '../../ports/stack-job-launcher.js';
import type { TaskCallbacks } from '../../ports/task-callbacks.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import { parseStackJobRequest } from '../../pipeline/stack-job/stack-job-request.js';
import type { VariableSource } from '../../ports/variable-source.js';
import { provisionerFor } from '../local/provisioners.js';
import { clientsForJob, type AssumedCredentials, type ClientsForJobOptions, type JobClients } from './clients-for-job.js';
import { requireEnv } from './lambda-environment.js';
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
 * for references — read with the environment's role when the job names `awsRoleArn`, and that
 * role's credentials (only) handed to the provisioner's commands. Never throws for a job problem: a role that cannot be assumed or an unreadable
 * organization config make `provisionerFor` (and the reference sources) throw inside the runner's
 * own error handling, so the job fails through the workflow instead of leaving it waiting.
 */
export async function awsStackJobDeps(
  request: StackJobRequest,
  env: NodeJS.ProcessEnv = process.env,
  options: ClientsForJobOptions = {},
): Promise<AwsStackJobDeps> {
  const bucket = requireEnv(RUNNER_BUCKET_VARIABLE, env);
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const clientOptions = { ...options, ...(region ? { region } : {}) };
  let clients: JobClients;
  let failure: unknown;
  try {
    clients = await clientsForJob(request, clientOptions);
  } catch (error) {
    failure = error;
    // The bucket and callbacks never depend on the role: the failure can still be recorded and reported.
    const { awsRoleArn: _role, ...withoutRole } = request;
    clients = await clientsForJob(withoutRole, clientOptions);
  }
  const store = new S3ArtifactStore({ bucket, client: clients.s3 });
  const callbacks = latestTokenCallbacks(new SfnTaskCallbacks({ client: clients.sfn }), store, request, env[RUNNER_JOB_KEY_VARIABLE]?.trim());
  if (failure !== undefined) {
    const fail = (): never => {
      throw failure;
    };
    const secrets: SecretSource = { getSecret: async () => fail() };
    const variables: VariableSource = { getVariable: async () => fail() };
    return { store, callbacks, secrets, variables, provisionerFor: fail };
  }

  let pick: (kind: string) => Provisioner;
  try {
    pick = provisionerFor(await loadOrganization(store), store, { env: commandEnvironment(env, clients.credentials) });
  } catch (error) {
    pick = () => {
      throw error;
    };
  }
  return {
    store,
    callbacks,
    secrets: new SecretsManagerSecretSource({ client: clients.secretsManager }),
    variables: new SsmVariableSource({ client: clients.ssm }),
    provisionerFor: pick,
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

/**
 * The provisioner commands' environment: this process's without the job and the way to it (the
 * job holds the task token). With an environment role, the commands get its temporary
 * credentials and lose every way back to the runner's own role (container credentials, profiles,
 * web identity). Without one they run as the runner role (docs/aws.md §6): give production
 * environments a role.
 */
export function commandEnvironment(env: NodeJS.ProcessEnv, credentials: AssumedCredentials | undefined): NodeJS.ProcessEnv {
  const { STAGELINE_JOB: _job, STAGELINE_JOB_KEY: _jobKey, STAGELINE_BUCKET: _bucket, ...rest } = env;
  if (!credentials) return rest;
  const {
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: _relative,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: _full,
    AWS_CONTAINER_AUTHORIZATION_TOKEN: _token,
    AWS_PROFILE: _profile,
    AWS_WEB_IDENTITY_TOKEN_FILE: _webIdentity,
    AWS_ROLE_ARN: _roleArn,
    ...base
  } = rest;
  return {
    ...base,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    ...(credentials.expiration ? { AWS_CREDENTIAL_EXPIRATION: credentials.expiration.toISOString() } : {}),
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
