import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TemplateJson } from '../support/template-account.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CloudAssembly {
  /** The cdk.out directory (assets as folders: asset.<hash>/). */
  dir: string;
  stackName: string;
  template: TemplateJson;
  /** Seconds the synthesis took, or 0 when a cached assembly of the same sources was reused. */
  synthSeconds: number;
}

export interface SynthOptions {
  /** cdk.json context for the synthesis. */
  context: Record<string, string | string[]>;
  /** CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION, as `cdk deploy` sets them. */
  account: string;
  region: string;
}

/**
 * `npx cdk synth` of the real CDK app (bundling and cdk-nag on), as `cdk deploy` runs it with
 * credentials present. Synthesized once per set of inputs: the cdk.out is kept under
 * node_modules/.cache keyed by a digest of every tracked source file that can change the
 * template or a bundle, so later runs (and the other test files) reuse it. Kept inside the
 * repository on purpose: a bundle's external `@aws-sdk/*` imports then resolve to the project's
 * node_modules, as they resolve to the SDK the Lambda runtime provides.
 */
export function synthesizeOnce(options: SynthOptions): CloudAssembly {
  const stackName = 'Stageline';
  const key = inputDigest(options);
  const cacheRoot = join(REPO_ROOT, 'node_modules', '.cache', 'stageline-account');
  const dir = join(cacheRoot, key);
  const templateFile = join(dir, `${stackName}.template.json`);
  let synthSeconds = 0;
  if (!existsSync(templateFile)) {
    mkdirSync(cacheRoot, { recursive: true });
    const lock = join(cacheRoot, `${key}.lock`);
    if (acquire(lock)) {
      try {
        if (!existsSync(templateFile)) synthSeconds = synthesize(options, dir);
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    } else {
      waitFor(() => !existsSync(lock), 240_000, 'another test file synthesizing the stack');
      if (!existsSync(templateFile)) throw new Error('the stack was not synthesized (see the other test file that held the lock)');
    }
  }
  return { dir, stackName, template: JSON.parse(readFileSync(templateFile, 'utf8')) as TemplateJson, synthSeconds };
}

function synthesize(options: SynthOptions, dir: string): number {
  const started = Date.now();
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const contextArgs = Object.entries(options.context).flatMap(([name, value]) => ['-c', `${name}=${Array.isArray(value) ? JSON.stringify(value) : value}`]);
  const result = spawnSync('npx', ['--no', 'cdk', 'synth', '--quiet', '-o', partial, ...contextArgs], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_DEFAULT_ACCOUNT: options.account, CDK_DEFAULT_REGION: options.region, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`cdk synth failed (exit ${result.status}):\n${(result.stderr || result.stdout).slice(-4000)}`);
  }
  renameSync(partial, dir);
  return (Date.now() - started) / 1000;
}

/** Every tracked (and untracked, not ignored) file that feeds the template or a bundle. */
function inputDigest(options: SynthOptions): string {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', 'lib', 'functions', 'bin', 'statemachine', 'package-lock.json', 'cdk.json', 'tsconfig.json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => file && existsSync(join(REPO_ROOT, file)))
    .sort();
  const hash = createHash('sha256').update(JSON.stringify(options));
  for (const value of Object.values(options.context)) {
    // A context value naming a file (the organization) is an input too.
    if (typeof value === 'string' && existsSync(value) && statSync(value).isFile()) hash.update(readFileSync(value));
  }
  for (const file of files) hash.update(file).update('\0').update(readFileSync(join(REPO_ROOT, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

function acquire(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch {
    // A lock left by a killed run is older than any synthesis takes.
    try {
      if (Date.now() - statSync(lock).mtimeMs > 300_000) {
        rmSync(lock, { recursive: true, force: true });
        mkdirSync(lock);
        return true;
      }
    } catch {
      // lost a race: someone else holds it
    }
    return false;
  }
}

function waitFor(condition: () => boolean, timeoutMs: number, what: string): void {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    spawnSync('sleep', ['0.5']);
  }
}
