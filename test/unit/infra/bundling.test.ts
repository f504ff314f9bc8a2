import { beforeAll, describe, expect, it } from 'vitest';
import { buildSync, type Metafile } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../lib/infra/deployment-stage-props.js';
import { LAMBDA_EXTERNAL_MODULES } from '../../../lib/infra/functions.js';

/**
 * The functions bundle @aws-sdk/client-s3 (the version the tests run with: the store's conditional
 * writes depend on it) and take every other SDK client from the Lambda runtime. Checked on a real
 * esbuild bundle of one function with the externals the stack gives NodejsFunction.
 */
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
let metafile: Metafile;

beforeAll(() => {
  const result = buildSync({
    entryPoints: [join(REPO_ROOT, 'functions', 'record-success', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: [...LAMBDA_EXTERNAL_MODULES],
    write: false,
    outdir: '/tmp/stageline-bundling-test',
    metafile: true,
    logLevel: 'silent',
  });
  metafile = result.metafile;
});

const inputs = () => Object.keys(metafile.inputs);
const externalImports = () => Object.values(metafile.outputs).flatMap((output) => output.imports.filter((entry) => entry.external).map((entry) => entry.path));

describe('Lambda bundling', () => {
  it('leaves external exactly the SDK clients other than client-s3, each named (no @aws-sdk/* wildcard)', () => {
    const otherClients = Object.keys(packageJson.dependencies).filter((name) => name.startsWith('@aws-sdk/client-') && name !== '@aws-sdk/client-s3');
    expect([...LAMBDA_EXTERNAL_MODULES].sort()).toEqual(otherClients.sort());
    for (const name of LAMBDA_EXTERNAL_MODULES) expect(name).not.toMatch(/\*/);
  });

  it('bundles @aws-sdk/client-s3 with its own dependency tree (@aws-sdk/core, middleware, @smithy/*)', () => {
    expect(inputs().some((path) => path.startsWith('node_modules/@aws-sdk/client-s3/'))).toBe(true);
    expect(inputs().some((path) => path.startsWith('node_modules/@aws-sdk/core/'))).toBe(true);
    expect(inputs().some((path) => path.startsWith('node_modules/@aws-sdk/middleware-sdk-s3/'))).toBe(true);
    expect(inputs().some((path) => path.startsWith('node_modules/@smithy/'))).toBe(true);
    // What stays external is a runtime client (record-success starts queued runs with client-sfn).
    expect(externalImports().filter((path) => path.startsWith('@aws-sdk/') || path.startsWith('@smithy/'))).toEqual(['@aws-sdk/client-sfn']);
  });

  it('bundles the client-s3 version package.json pins (the one the tests run with; IfMatch needs 3.700 or later)', () => {
    const pinned = packageJson.dependencies['@aws-sdk/client-s3']!;
    const installed = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', '@aws-sdk', 'client-s3', 'package.json'), 'utf8')) as { version: string }).version;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed).toBe(pinned);
    expect(Number(pinned.split('.')[1])).toBeGreaterThanOrEqual(700);
  });
});
