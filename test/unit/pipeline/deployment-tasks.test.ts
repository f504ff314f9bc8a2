import { describe, expect, it } from 'vitest';
import { matchesBranchGlob } from '../../../lib/pipeline/branch-glob.js';
import { MemoryFileSystem } from '../../../lib/kustomize/memory-file-system.js';
import { errorOf, organization, ORG_YAML, plan, project, service } from './harness.js';

const ALL = { production: 'app-production', dev: 'app-dev', local: 'local', staging: 'app-staging' };

function withLabel(fs: MemoryFileSystem, overlay: string, glob: string, style: 'labels' | 'commonLabels' = 'commonLabels'): MemoryFileSystem {
  const labels = style === 'labels' ? `labels:\n  - pairs: { stageline.dev/git-branch: "${glob}" }\n` : `commonLabels: { stageline.dev/git-branch: "${glob}" }\n`;
  fs.writeFile(`_kustomize/overlays/${overlay}/kustomization.yaml`, `resources: [../../base]\npatches:\n  - path: patch.yaml\n${labels}`);
  return fs;
}

describe('deployment tasks', () => {
  it('orders tasks by the organization promotion order, whatever the overlay order', () => {
    const { tasks, skipped } = plan(project(ALL));
    expect(tasks.map((task) => [task.index, task.overlay, task.env])).toEqual([
      [0, 'dev', 'app-dev'],
      [1, 'staging', 'app-staging'],
      [2, 'production', 'app-production'],
    ]);
    expect(skipped.map((skip) => [skip.overlay, skip.reason])).toEqual([['local', 'local']]);
  });

  it('gates the environments the organization gates, with approvers, quorum and timeout in seconds', () => {
    const { tasks } = plan(project(ALL));
    expect(tasks.map((task) => task.gate)).toEqual([
      null,
      null,
      { approvers: ['ops@acme.io', 'lead@acme.io'], minApprovals: 1, timeoutSeconds: 259_200, requiredBy: ['organization'] },
    ]);
  });

  it("carries a selected manifest's warnings into the plan, not those of a skipped one", () => {
    const fs = project(ALL);
    for (const overlay of ['dev', 'staging']) {
      fs.writeFile(`_kustomize/overlays/${overlay}/patch.yaml`, `apiVersion: kubernetes.openmcf.org/v1\nkind: KubernetesDeployment\nmetadata: { name: hello, env: app-${overlay} }\nspec: { container: { app: { image: "hello:{{ .Tag }}" } } }\n`);
    }
    const { warnings } = plan(fs, { service: service('{ deploymentEnvironments: [dev, production] }') });
    expect(warnings).toEqual([expect.stringMatching(/^overlay "dev" \(_kustomize\/overlays\/dev\): spec\.container\.app\.image contains "\{\{ \.Tag \}\}"/)]);
  });

  it('defaults the gate timeout to 72h', () => {
    const org = organization(ORG_YAML.replace(', timeout: 72h', ''));
    expect(plan(project(ALL), { org }).tasks[2]!.gate!.timeoutSeconds).toBe(72 * 3600);
  });

  it('deploys only the listed overlays, in promotion order whatever the list order', () => {
    const { tasks, skipped } = plan(project(ALL), { service: service('{ deploymentEnvironments: [production, dev] }') });
    expect(tasks.map((task) => task.overlay)).toEqual(['dev', 'production']);
    expect(skipped).toContainEqual({ overlay: 'staging', env: 'app-staging', reason: 'filtered', detail: 'not listed in stageline.yaml spec.deploymentEnvironments' });
  });

  it('matches list names exactly and case-sensitively; a missing overlay is an error', () => {
    const error = errorOf(() => plan(project(ALL), { service: service('{ deploymentEnvironments: [dev, Staging] }') }));
    expect(error.message).toBe('stageline.yaml: spec.deploymentEnvironments[1]: no overlay named "Staging" (exact, case-sensitive; available: dev, production, staging)');
    expect(errorOf(() => plan(project(ALL), { service: service('{ deploymentEnvironments: [local] }') })).message).toBe(
      'stageline.yaml: spec.deploymentEnvironments[0]: the local overlay never deploys',
    );
  });

  it('deploys an overlay with a git-branch label only on matching branches; the label wins over the list', () => {
    const fs = withLabel(project(ALL), 'staging', 'release/*', 'labels');
    const svc = service('{ deploymentEnvironments: [dev] }');
    expect(plan(fs, { service: svc, branch: 'release/1.2' }).tasks.map((task) => task.overlay)).toEqual(['dev', 'staging']);
    const onMain = plan(fs, { service: svc, branch: 'main' });
    expect(onMain.tasks.map((task) => task.overlay)).toEqual(['dev']);
    expect(onMain.skipped).toContainEqual({ overlay: 'staging', env: 'app-staging', reason: 'branch', detail: 'label stageline.dev/git-branch: "release/*" does not match branch "main"' });
  });

  it('refuses two selected overlays deploying to the same environment, naming both', () => {
    const fs = project({ ...ALL, 'dev-two': 'app-dev' });
    expect(errorOf(() => plan(fs)).message).toBe(
      'overlay "dev" (_kustomize/overlays/dev) and overlay "dev-two" (_kustomize/overlays/dev-two) both deploy to environment app-dev on branch "main"',
    );
    // Restricted to different branches, they coexist.
    withLabel(fs, 'dev', 'main');
    withLabel(fs, 'dev-two', 'feature/*');
    expect(plan(fs, { branch: 'main' }).tasks.map((task) => task.overlay)).toEqual(['dev', 'staging', 'production']);
    expect(plan(fs, { branch: 'feature/x' }).tasks.map((task) => task.overlay)).toEqual(['dev-two', 'staging', 'production']);
  });

  it('carries the environment role ARN when the organization sets one', () => {
    const org = organization(ORG_YAML.replace('    - name: app-staging\n', '    - name: app-staging\n      credentials: { awsRoleArn: "arn:aws:iam::222222222222:role/deployer" }\n'));
    expect(plan(project(ALL), { org }).tasks[1]!.awsRoleArn).toBe('arn:aws:iam::222222222222:role/deployer');
  });
});

describe('gates of inline targets', () => {
  const target = (env: string, extra = '') => `    - { env: ${env}, kind: X${extra}, manifest: { apiVersion: x.io/v1, metadata: { name: a } } }\n`;

  it('adds a gate the service asks for, with its approvers', () => {
    const svc = service(`\n  deploymentTargets:\n${target('app-staging', ', requiresApproval: true, approvers: [qa@acme.io], timeout: 1d')}`);
    expect(plan(new MemoryFileSystem(), { service: svc }).tasks[0]!.gate).toEqual({ approvers: ['qa@acme.io'], minApprovals: 1, timeoutSeconds: 86_400, requiredBy: ['service'] });
  });

  it('keeps the organization gate when a target says requiresApproval: false, with a warning', () => {
    const svc = service(`\n  deploymentTargets:\n${target('app-production', ', requiresApproval: false')}`);
    const result = plan(new MemoryFileSystem(), { service: svc });
    expect(result.tasks[0]!.gate).toMatchObject({ requiredBy: ['organization'], approvers: ['ops@acme.io', 'lead@acme.io'] });
    expect(result.warnings).toEqual(['stageline.yaml: spec.deploymentTargets[0].requiresApproval: false is ignored: organization acme requires approval for app-production']);
  });

  it('refuses a requested gate nobody can approve', () => {
    const svc = service(`\n  deploymentTargets:\n${target('app-dev', ', requiresApproval: true')}`);
    expect(errorOf(() => plan(new MemoryFileSystem(), { service: svc })).message).toBe(
      'stageline.yaml: spec.deploymentTargets[0].approvers: requiresApproval is true but nobody can approve (organization sets no approvers for app-dev)',
    );
  });

  it('orders inline targets by promotion order and filters them by deploymentEnvironments (environment names)', () => {
    const svc = service(`\n  deploymentEnvironments: [app-production, app-dev]\n  deploymentTargets:\n${target('app-production')}${target('app-staging')}${target('app-dev')}`);
    const result = plan(new MemoryFileSystem(), { service: svc });
    expect(result.tasks.map((task) => task.env)).toEqual(['app-dev', 'app-production']);
    expect(result.skipped.map((skip) => [skip.overlay, skip.reason])).toEqual([['app-staging', 'filtered']]);
  });
});

describe('branch globs', () => {
  it.each([
    ['*', 'anything/at/all', true],
    ['main', 'main', true],
    ['main', 'Main', false],
    ['release/*', 'release/1.2', true],
    ['release/*', 'release', false],
    ['feature-?', 'feature-a', true],
    ['feature-?', 'feature-ab', false],
    ['v1.*', 'v1x', false],
    ['v1.*', 'v1.2', true],
  ])('%s vs %s → %s', (glob, branch, expected) => expect(matchesBranchGlob(glob, branch)).toBe(expected));
});
