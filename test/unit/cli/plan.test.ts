import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planCommand } from '../../../lib/cli/commands/plan.js';
import type { PlanJson } from '../../../lib/pipeline/plan.js';
import { captureIo } from '../pipeline/capture-io.js';
import { engineReady, HELLO_SERVICE } from '../pipeline/engine.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stageline-plan-'));
  await cp(HELLO_SERVICE, root, { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe.skipIf(!engineReady)('stageline plan (examples/hello-service)', () => {
  it('prints the tasks in order with gates, and the skipped local overlay, as JSON', async () => {
    const io = captureIo(root);
    await planCommand({ project: '.', branch: 'main', json: true }, io);
    const plan = JSON.parse(io.stdout.join('\n')) as PlanJson;
    expect(plan.tasks.map((task) => [task.overlay, task.env, task.gate?.timeoutSeconds ?? null])).toEqual([
      ['dev', 'app-dev', null],
      ['staging', 'app-staging', null],
      ['production', 'app-production', 259_200],
    ]);
    expect(plan.tasks[2]!.references).toEqual({ secrets: ['database/password'], variables: ['observability/log-level'] });
    expect(plan.skipped).toEqual([{ overlay: 'local', env: null, reason: 'local', detail: expect.any(String) }]);
  });

  it('prints a readable plan and honours the branch label', async () => {
    await writeFile(
      join(root, '_kustomize/overlays/staging/kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\npatches:\n  - path: environment.yaml\ncommonLabels:\n  stageline.dev/git-branch: "release/*"\n',
    );
    const io = captureIo(root);
    await planCommand({ project: '.', branch: 'main' }, io);
    expect(io.stdout[0]).toBe('Plan for hello-service (acme) on branch main:');
    expect(io.stdout.filter((line) => /^ {2}\d\./.test(line)).map((line) => line.split('  ')[1])).toEqual(['1. dev → app-dev', '2. production → app-production']);
    expect(io.stdout).toContain('  skipped staging (app-staging) [branch]: label stageline.dev/git-branch: "release/*" does not match branch "main"');
  });

  it('names the organization file when it is missing', async () => {
    await expect(planCommand({ project: '.', branch: 'main', orgConfig: 'nope.yaml' }, captureIo(root))).rejects.toThrow('nope.yaml: organization config not found');
  });
});
