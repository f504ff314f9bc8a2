import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Credentials } from '../support/moto-server.js';

/** A Lambda function as the template deploys it. */
export interface FunctionSpec {
  logicalId: string;
  name: string;
  arn: string;
  /** The bundle's directory (cdk.out/asset.<hash>) and the handler (`index.handler`). */
  codeDir: string;
  handler: string;
  environment: Record<string, string>;
  roleArn: string;
  timeoutSeconds: number;
}

/** One line a function, the runner or a provisioner wrote. */
export interface LogLine {
  source: string;
  line: string;
}

/** A function's error, as Lambda reports it (`errorType` becomes the state's error). */
export class FunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: string[],
  ) {
    super(errorMessage);
    this.name = errorType;
  }
}

const WORKER = join(fileURLToPath(new URL('.', import.meta.url)), 'lambda-worker.mjs');

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  pending: Map<string, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>;
}

/**
 * Runs each function's own bundle in its own process (one warm execution environment per
 * function), with the function's environment variables from the template, the account's endpoint
 * and credentials from sts:AssumeRole of the function's own role — nothing of the test process.
 */
export class LambdaHost {
  readonly invocations: Array<{ function: string; ok: boolean; ms: number }> = [];
  private readonly functions = new Map<string, FunctionSpec>();
  private readonly workers = new Map<string, Worker>();

  constructor(
    private readonly options: {
      endpoint: string;
      region: string;
      credentialsFor: (roleArn: string, principal: string) => Promise<Credentials>;
      logs: LogLine[];
      extraEnvironment?: () => Record<string, string>;
    },
  ) {}

  register(spec: FunctionSpec): void {
    this.functions.set(spec.name, spec);
    this.functions.set(spec.arn, spec);
  }

  spec(nameOrArn: string): FunctionSpec {
    const spec = this.functions.get(nameOrArn) ?? this.functions.get(nameOrArn.replace(/:(\$LATEST|\d+)$/, ''));
    if (!spec) throw new Error(`no function ${nameOrArn} in the template`);
    return spec;
  }

  /** Invokes synchronously (RequestResponse): the handler's result, or a {@link FunctionError}. */
  async invoke(nameOrArn: string, event: unknown): Promise<unknown> {
    const spec = this.spec(nameOrArn);
    const worker = this.workerFor(spec);
    await worker.ready;
    const id = randomUUID();
    const started = Date.now();
    try {
      const result = await new Promise((resolve, reject) => {
        worker.pending.set(id, { resolve, reject });
        worker.child.send({ id, event, timeoutMs: spec.timeoutSeconds * 1000 });
      });
      this.invocations.push({ function: spec.logicalId, ok: true, ms: Date.now() - started });
      return result;
    } catch (error) {
      this.invocations.push({ function: spec.logicalId, ok: false, ms: Date.now() - started });
      throw error;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.workers.values()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.child.exitCode !== null || worker.child.signalCode !== null) return resolve();
            worker.child.once('exit', () => resolve());
            worker.child.kill('SIGTERM');
          }),
      ),
    );
    this.workers.clear();
  }

  private workerFor(spec: FunctionSpec): Worker {
    const existing = this.workers.get(spec.name);
    if (existing) return existing;
    const pending: Worker['pending'] = new Map();
    const worker: Worker = { child: undefined as unknown as ChildProcess, ready: Promise.resolve(), pending };
    worker.ready = (async () => {
      const credentials = await this.options.credentialsFor(spec.roleArn, `function:${spec.logicalId}`);
      const [file, exportName] = handlerFile(spec);
      const child = fork(WORKER, [file, exportName], {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          TZ: 'UTC',
          ...this.options.extraEnvironment?.(),
          ...spec.environment,
          AWS_REGION: this.options.region,
          AWS_DEFAULT_REGION: this.options.region,
          AWS_ENDPOINT_URL: this.options.endpoint,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
          AWS_LAMBDA_FUNCTION_NAME: spec.name,
          STAGELINE_ACCOUNT_FUNCTION_ARN: spec.arn,
        },
      });
      worker.child = child;
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => this.options.logs.push({ source: `function:${spec.logicalId}`, line }));
      }
      await new Promise<void>((resolve, reject) => {
        child.on('message', (message: { ready?: boolean; id?: string; result?: unknown; error?: { errorType: string; errorMessage: string; trace: string[] } }) => {
          if (message.ready) return resolve();
          const waiter = message.id ? pending.get(message.id) : undefined;
          if (!waiter) return;
          pending.delete(message.id!);
          if (message.error) waiter.reject(new FunctionError(spec.name, message.error.errorType, message.error.errorMessage, message.error.trace));
          else waiter.resolve(message.result);
        });
        child.once('exit', (code, signal) => {
          const error = new FunctionError(spec.name, 'Runtime.ExitError', `the execution environment exited (${signal ?? code})`, []);
          reject(error);
          for (const waiter of pending.values()) waiter.reject(error);
          pending.clear();
          this.workers.delete(spec.name);
        });
      });
    })();
    this.workers.set(spec.name, worker);
    worker.ready.catch(() => this.workers.delete(spec.name));
    return worker;
  }
}

/** `index.handler` → index.mjs / index.js / index.cjs in the code directory, as the nodejs runtime looks. */
function handlerFile(spec: FunctionSpec): [string, string] {
  const dot = spec.handler.lastIndexOf('.');
  const base = spec.handler.slice(0, dot);
  const exportName = spec.handler.slice(dot + 1);
  for (const extension of ['.mjs', '.js', '.cjs']) {
    const file = join(spec.codeDir, `${base}${extension}`);
    if (existsSync(file)) return [file, exportName];
  }
  throw new Error(`${spec.logicalId}: no ${base}.mjs/.js/.cjs in ${spec.codeDir}`);
}
