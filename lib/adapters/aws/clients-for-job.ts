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

/**
 * The clients one stack job uses, all with the runner's own credentials: the Stageline bucket, the
 * state machine, and the organization's secrets and variables (they live in the Stageline account,
 * readable by the runner role only). The environment's role is for the provisioner's commands
 * only, assumed with {@link assumeEnvironmentRole} once the job holds the environment's lease.
 */
export interface JobClients {
  s3: S3Client;
  sfn: SFNClient;
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
}

export interface ClientsForJobOptions {
  region?: string;
  sts?: STSClient;
  /** The bucket's client (default: the runner's credentials and region). */
  s3Client?: S3Client;
  /**
   * Session length of the environment role; default 3600 s. The runner's own credentials are a
   * role's (CodeBuild's service role), so assuming another role is role chaining, which AWS caps at
   * one hour whatever the role's maximum session duration says.
   */
  durationSeconds?: number;
}

/** The longest session a chained AssumeRole may ask for. */
export const ROLE_CHAINING_MAX_SECONDS = 3600;

/** The clients for one stack job (DESIGN §5): no network call, nothing assumed. */
export function clientsForJob(options: ClientsForJobOptions = {}): JobClients {
  const config = options.region ? { region: options.region } : {};
  return {
    s3: options.s3Client ?? new S3Client(config),
    sfn: new SFNClient(config),
    secretsManager: new SecretsManagerClient(config),
    ssm: new SSMClient(config),
  };
}

/**
 * Assumes the job's environment role (`awsRoleArn`; STS AssumeRole with the runner's credentials,
 * session `stageline-<service>-<env>`, DurationSeconds 3600) for the provisioner's commands.
 * Called when the credentials endpoint starts and each time it renews them. Throws
 * {@link AssumeRoleError} when the role cannot be assumed.
 */
export async function assumeEnvironmentRole(request: StackJobRequest, options: ClientsForJobOptions = {}): Promise<AssumedCredentials> {
  const roleArn = request.awsRoleArn;
  if (!roleArn) throw new StagelineError('NO_ENVIRONMENT_ROLE', `the stack job for ${request.env} names no environment role (credentials.awsRoleArn)`);
  const sts = options.sts ?? new STSClient(options.region ? { region: options.region } : {});
  try {
    const response = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: roleSessionName(request),
        DurationSeconds: options.durationSeconds ?? ROLE_CHAINING_MAX_SECONDS,
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
