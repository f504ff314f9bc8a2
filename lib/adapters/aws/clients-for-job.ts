import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { StagelineError } from '../../errors.js';
import type { StackJobRequest } from '../../ports/stack-job-launcher.js';

/** Temporary credentials of an assumed role. */
export interface AssumedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
}

/** The runner could not assume the environment's role: the job fails before any change. */
export class AssumeRoleError extends StagelineError {
  constructor(roleArn: string, env: string, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super('ASSUME_ROLE_FAILED', `cannot assume ${roleArn} for ${env}: ${reason.split('\n')[0]}`, {
      cause,
      hint: "the role's trust policy must allow the Stageline runner's CodeBuild role to sts:AssumeRole",
    });
  }
}

/** The clients one stack job uses. */
export interface JobClients {
  /** The Stageline bucket and the state machine: always the runner's own credentials. */
  s3: S3Client;
  sfn: SFNClient;
  /** The environment's secrets and variables: the environment's role when the job names one. */
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
  /** The assumed role's credentials (for the provisioner's commands), when the job names a role. */
  credentials?: AssumedCredentials;
}

export interface ClientsForJobOptions {
  region?: string;
  sts?: STSClient;
  /** The bucket's client (default: the runner's credentials and region). */
  s3Client?: S3Client;
  /** Session length; default 3600 s (the role's maximum session duration must allow it). */
  durationSeconds?: number;
}

/**
 * The clients for one stack job (DESIGN §5, "accounts per environment"): when the request names
 * `awsRoleArn`, the runner assumes it (STS AssumeRole, session `stageline-<service>-<env>`) and
 * hands those credentials to the provisioner's commands only; secrets, variables, the bucket and
 * the callbacks stay on the runner's own role (they live in the Stageline account). Throws {@link AssumeRoleError} when the role cannot be
 * assumed.
 */
export async function clientsForJob(request: StackJobRequest, options: ClientsForJobOptions = {}): Promise<JobClients> {
  const config = options.region ? { region: options.region } : {};
  const s3 = options.s3Client ?? new S3Client(config);
  const sfn = new SFNClient(config);
  if (!request.awsRoleArn) return { s3, sfn, secretsManager: new SecretsManagerClient(config), ssm: new SSMClient(config) };

  // Secrets and variables live in the Stageline account, readable by the runner role only; the
  // environment's role (its own account) is for the provisioner's commands.
  const credentials = await assumeRole(request, options);
  return { s3, sfn, secretsManager: new SecretsManagerClient(config), ssm: new SSMClient(config), credentials };
}

async function assumeRole(request: StackJobRequest, options: ClientsForJobOptions): Promise<AssumedCredentials> {
  const roleArn = request.awsRoleArn!;
  const sts = options.sts ?? new STSClient(options.region ? { region: options.region } : {});
  try {
    const response = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: roleSessionName(request),
        DurationSeconds: options.durationSeconds ?? 3600,
      }),
    );
    const found = response.Credentials;
    if (!found?.AccessKeyId || !found.SecretAccessKey || !found.SessionToken) throw new Error('STS returned no credentials');
    return { accessKeyId: found.AccessKeyId, secretAccessKey: found.SecretAccessKey, sessionToken: found.SessionToken, ...(found.Expiration ? { expiration: found.Expiration } : {}) };
  } catch (error) {
    throw new AssumeRoleError(roleArn, request.env, error);
  }
}

/** `stageline-<service>-<env>`: visible in the target account's CloudTrail; [\w+=,.@-], at most 64 characters. */
export function roleSessionName(request: Pick<StackJobRequest, 'service' | 'env'>): string {
  return `stageline-${request.service}-${request.env}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}
