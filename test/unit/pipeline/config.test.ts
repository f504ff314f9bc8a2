import { describe, expect, it } from 'vitest';
import { parseOrganization, requiredApproval } from '../../../lib/pipeline/config/organization.js';
import { parseService, resolutionMode } from '../../../lib/pipeline/config/service.js';
import { parseDuration } from '../../../lib/pipeline/duration.js';
import { errorOf, ORG_YAML, SERVICE_YAML } from './harness.js';

describe('organization config', () => {
  it('parses environments in promotion order with approval defaults', () => {
    const org = parseOrganization(ORG_YAML.replace(', timeout: 72h', ''), 'organization.yaml');
    expect(org.spec.environments.map((environment) => environment.name)).toEqual(['app-dev', 'app-staging', 'app-production']);
    expect(requiredApproval(org.spec.environments[2]!)).toEqual({ approvers: ['ops@acme.io', 'lead@acme.io'], minApprovals: 1, timeoutSeconds: 72 * 3600 });
    expect(requiredApproval(org.spec.environments[0]!)).toBeUndefined();
    expect(org.spec.stackJobs.runner).toBe('codebuild');
  });

  it('names the file, the path and what was expected for a bad duration', () => {
    const error = errorOf(() => parseOrganization(ORG_YAML.replace('timeout: 72h', 'timeout: 3 days'), 'org.yaml'));
    expect(error.message).toBe('org.yaml: spec.environments[2].approval.timeout: expected a duration like 72h, 30m, 1d or 1h30m (longer than zero)');
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(error.message).not.toContain('\n');
  });

  it('reports unknown fields with their path', () => {
    const error = errorOf(() => parseOrganization(ORG_YAML.replace('  environments:', '  enviroments: []\n  environments:'), 'org.yaml'));
    expect(error.message).toBe('org.yaml: spec.enviroments: unknown field (check the spelling)');
  });

  it('reports wrong types and missing fields', () => {
    expect(errorOf(() => parseOrganization(ORG_YAML.replace('minApprovals: 1', 'minApprovals: one'), 'o.yaml')).message).toBe(
      'o.yaml: spec.environments[2].approval.minApprovals: expected a number, got the string "one"',
    );
    expect(errorOf(() => parseOrganization(ORG_YAML.replace('metadata: { name: acme }', 'metadata: {}'), 'o.yaml')).message).toBe(
      'o.yaml: metadata.name: expected a string, it is missing',
    );
  });

  it('refuses a required approval without approvers, and a quorum above the approver count', () => {
    expect(errorOf(() => parseOrganization(ORG_YAML.replace('approvers: [ops@acme.io, lead@acme.io], ', ''), 'o.yaml')).message).toBe(
      'o.yaml: spec.environments[2].approval.approvers: expected at least one approver when approval is required',
    );
    expect(errorOf(() => parseOrganization(ORG_YAML.replace('minApprovals: 1', 'minApprovals: 3'), 'o.yaml')).message).toBe(
      'o.yaml: spec.environments[2].approval.minApprovals: expected at most 2 (the number of approvers), got 3',
    );
  });

  it('refuses duplicate environments and bad approver addresses', () => {
    expect(errorOf(() => parseOrganization(ORG_YAML.replace('- name: app-staging', '- name: app-dev'), 'o.yaml')).message).toBe(
      'o.yaml: spec.environments[1].name: environment "app-dev" is listed twice',
    );
    expect(errorOf(() => parseOrganization(ORG_YAML.replace('ops@acme.io', 'ops'), 'o.yaml')).message).toBe(
      'o.yaml: spec.environments[2].approval.approvers[0]: expected an email address',
    );
  });

  it('refuses a stack-job timeout that does not exceed the stack-job step\'s heartbeat timeout, naming file and path', () => {
    const withTimeout = (timeout: string) => `${ORG_YAML.trimEnd()}\n  stackJobs: { timeout: ${timeout} }\n`;
    for (const timeout of ['5m', '10m', '600s']) {
      const error = errorOf(() => parseOrganization(withTimeout(timeout), 'config/organization.yaml'));
      expect(error.message).toBe(
        `config/organization.yaml: spec.stackJobs.timeout: expected more than 10m (600 s, the stack-job step's HeartbeatSeconds in statemachine/deployment-stage.asl.json, which the CodeBuild runner must outlive), got ${timeout}`,
      );
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    }
    expect(parseOrganization(withTimeout('10m1s'), 'o.yaml').spec.stackJobs.timeout).toBe('10m1s');
    expect(parseOrganization(withTimeout('2h'), 'o.yaml').spec.stackJobs.timeout).toBe('2h');
    // Local runs have no heartbeat timeout: a short one is a user's choice there.
    expect(parseOrganization(`${ORG_YAML.trimEnd()}\n  stackJobs: { runner: local, timeout: 2s }\n`, 'o.yaml').spec.stackJobs.timeout).toBe('2s');
    // A bad duration is still reported as one.
    expect(errorOf(() => parseOrganization(withTimeout('soon'), 'o.yaml')).message).toBe('o.yaml: spec.stackJobs.timeout: expected a duration like 72h, 30m, 1d or 1h30m (longer than zero)');
  });

  it('names the line of a YAML syntax error', () => {
    expect(errorOf(() => parseOrganization('kind: [unclosed\n', 'o.yaml')).message).toMatch(/^o\.yaml: line \d+, column \d+: invalid YAML: /);
  });
});

describe('service config', () => {
  it('applies defaults: _kustomize, every overlay, supersede, Git mode', () => {
    const service = parseService(SERVICE_YAML, 'stageline.yaml');
    expect(service.spec).toEqual({ kustomizeDir: '_kustomize', deploymentEnvironments: [], concurrency: 'supersede', deploymentTargets: [] });
    expect(resolutionMode(service)).toBe('git');
  });

  it('names the target index and field of a bad deployment target', () => {
    const text = SERVICE_YAML.replace('spec: {}', 'spec:\n  deploymentTargets:\n    - { env: app-dev, manifest: {} }\n    - { env: app-staging, requiresApproval: maybe, manifest: {} }\n');
    expect(errorOf(() => parseService(text, 'svc/stageline.yaml')).message).toBe(
      'svc/stageline.yaml: spec.deploymentTargets[1].requiresApproval: expected a boolean, got the string "maybe"',
    );
  });

  it('refuses a kustomizeDir outside the project and an unknown concurrency', () => {
    expect(errorOf(() => parseService(SERVICE_YAML.replace('spec: {}', 'spec: { kustomizeDir: ../other }'), 's.yaml')).message).toBe(
      's.yaml: spec.kustomizeDir: expected a directory inside the project (relative, no "..")',
    );
    expect(errorOf(() => parseService(SERVICE_YAML.replace('spec: {}', 'spec: { concurrency: yolo }'), 's.yaml')).message).toBe(
      's.yaml: spec.concurrency: expected one of "supersede", "queue", "parallel", got the string "yolo"',
    );
  });
});

describe('durations', () => {
  it.each([
    ['72h', 259_200],
    ['30m', 1_800],
    ['1d', 86_400],
    ['1h30m', 5_400],
    ['45s', 45],
  ])('%s is %i seconds', (text, seconds) => expect(parseDuration(text)).toBe(seconds));

  it.each(['72', '1.5h', '3 days', '', 'h', '-1h'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());
});
