import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsHttpStatus } from '../../../lib/adapters/aws/aws-errors.js';
import { startMoto, type Credentials, type MotoServer, type StartMotoOptions } from '../../support/moto-server.js';

/** What the tests' shared client saw: conditional writes refused by moto itself (412). */
export interface ConditionStats {
  preconditionFailed: number;
}

/** S3 in an emulated account (moto), for the store's tests. */
export interface MotoS3 {
  moto: MotoServer;
  endpoint: string;
  /** The administrator's client, counting the 412s it receives in {@link stats}. */
  client: S3Client;
  stats: ConditionStats;
  /** A fresh client for the same server (the administrator's credentials unless others are given). */
  newClient(credentials?: Credentials): S3Client;
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts moto for one test file (about 2 s) and an S3 client on it. Fails with one clear line when
 * moto is not installed (see test/support/moto-server.ts).
 */
export async function startMotoS3(options: StartMotoOptions = {}): Promise<MotoS3> {
  const moto = await startMoto(options);
  const stats: ConditionStats = { preconditionFailed: 0 };
  const clients: S3Client[] = [];
  const newClient = (credentials: Credentials = moto.admin) => {
    const client = new S3Client({ ...moto.adminClientConfig(), credentials });
    clients.push(client);
    return client;
  };
  const client = newClient();
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (awsHttpStatus(error) === 412) stats.preconditionFailed++;
        throw error;
      }
    },
    { step: 'initialize', name: 'countPreconditionFailed' },
  );
  return {
    moto,
    endpoint: moto.endpoint,
    client,
    stats,
    newClient,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    close: async () => {
      for (const each of clients) each.destroy();
      await moto.stop();
    },
  };
}

/** One IAM policy statement. */
export interface PolicyStatementJson {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
}

/**
 * Creates an IAM role with one inline policy (as the administrator) and returns the credentials of
 * an `sts:AssumeRole` session of it: with IAM enforced, every request made with them is checked
 * against exactly that policy.
 */
export async function assumeRoleWithPolicy(moto: MotoServer, roleName: string, statements: PolicyStatementJson[]): Promise<Credentials> {
  const config = { endpoint: moto.endpoint, region: moto.region, credentials: moto.admin };
  const iam = new IAMClient(config);
  const sts = new STSClient(config);
  try {
    // moto checks the trust policy against the caller's own ARN (it does not expand an account root).
    const caller = await sts.send(new GetCallerIdentityCommand({}));
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: caller.Arn! }, Action: 'sts:AssumeRole' }] };
    const role = await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'inline', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
    const session = await sts.send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn!, RoleSessionName: roleName }));
    const found = session.Credentials!;
    return { accessKeyId: found.AccessKeyId!, secretAccessKey: found.SecretAccessKey!, sessionToken: found.SessionToken! };
  } finally {
    iam.destroy();
    sts.destroy();
  }
}
