import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Static credentials for an SDK client. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A running moto server (an emulated AWS account on loopback). */
export interface MotoServer {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  region: string;
  /** moto's default account. */
  accountId: string;
  /** An administrator of the account (with IAM enforced: a real IAM user with an inline `*` policy). */
  admin: Credentials;
  /** Options for any SDK v3 client acting as the administrator. */
  adminClientConfig(): { endpoint: string; region: string; credentials: Credentials; forcePathStyle: true };
  /** Clears every service's state (POST /moto-api/reset). Without IAM enforcement only: it drops the admin user. */
  reset(): Promise<void>;
  stop(): Promise<void>;
  /** The end of the server's own output (its tracebacks), for a failure message. */
  recentOutput(): string;
}

export interface StartMotoOptions {
  /**
   * Enforce IAM: every request after set-up is authorised against the caller's IAM policies, as in
   * AWS. Set-up is three unauthenticated requests that create the administrator.
   */
  enforceIam?: boolean;
  region?: string;
}

const ADMIN_SETUP_REQUESTS = 3;
/** moto's server with the raw request URL kept and IAM resource checks for the services Stageline calls (see the file). */
const LAUNCHER = fileURLToPath(new URL('./moto_server.py', import.meta.url));


/** Fails with one clear line when the machine has no moto (CI's image ships it; PyPI is unreachable). */
export function assertMotoInstalled(): void {
  const probe = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error('moto is not installed: the AWS tests need Python 3 with moto[server] (python3 -c "import moto.server" failed); see ../shared/TOOLCHAIN.md');
  }
}

/** Starts `python3 -m moto.server` on a free loopback port and waits until it answers. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  assertMotoInstalled();
  const region = options.region ?? 'us-east-1';
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('python3', [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...(options.enforceIam ? { INITIAL_NO_AUTH_ACTION_COUNT: String(ADMIN_SETUP_REQUESTS) } : {}), MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8000);
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`moto server exited (code ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`))));
  exited.catch(() => undefined);
  await Promise.race([waitUntilUp(endpoint), exited]);

  let admin: Credentials = { accessKeyId: 'AKIAEXAMPLEADMIN', secretAccessKey: 'example-secret' };
  if (options.enforceIam) admin = await createAdministrator(endpoint, region);

  const stop = async () => {
    if (child.exitCode !== null) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await done;
    clearTimeout(timer);
  };
  return {
    endpoint,
    region,
    accountId: '123456789012',
    admin,
    adminClientConfig: () => ({ endpoint, region, credentials: admin, forcePathStyle: true }),
    reset: async () => {
      if (options.enforceIam) throw new Error('reset would delete the administrator of an IAM-enforced moto: start a new server instead');
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    stop,
    recentOutput: () => stderr,
  };
}

async function createAdministrator(endpoint: string, region: string): Promise<Credentials> {
  // These three requests are the unauthenticated set-up allowance; everything after is checked.
  const iam = new IAMClient({ endpoint, region, credentials: { accessKeyId: 'AKIASETUP', secretAccessKey: 'setup' } });
  await iam.send(new CreateUserCommand({ UserName: 'stageline-test-admin' }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'stageline-test-admin',
      PolicyName: 'administrator',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }),
  );
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'stageline-test-admin' }));
  iam.destroy();
  return { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
}

async function waitUntilUp(endpoint: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`moto server did not answer on ${endpoint} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
