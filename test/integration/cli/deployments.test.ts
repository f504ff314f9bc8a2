import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleCopy, stageline } from './example-project.js';

/** `environments`, `history` and `check` through the compiled CLI, on a copy of the example service. */



describe('stageline environments and history', () => {
  it('show what each environment runs after two deploys, newest first, with who approved the gate', () => {
    const project = exampleCopy();
    expect(stageline(['deploy', '--local', '--approve', '--image', 'hello:v1', '--triggered-by', 'dev@acme.io'], project).code).toBe(0);
    expect(stageline(['deploy', '--local', '--approve', '--image', 'hello:v2', '--triggered-by', 'dev@acme.io'], project).code).toBe(0);

    const environments = stageline(['environments', '--json'], project);
    expect(environments.code).toBe(0);
    const overview = JSON.parse(environments.stdout) as { environments: { env: string; deployed: { image: string; digest: string; approvedBy: string[] } | null; inFlight: unknown[] }[] };
    expect(overview.environments.map((row) => [row.env, row.deployed?.image])).toEqual([
      ['app-dev', 'hello:v2'],
      ['app-staging', 'hello:v2'],
      ['app-production', 'hello:v2'],
    ]);
    expect(overview.environments[2]!.deployed!.approvedBy).toHaveLength(1);
    expect(overview.environments.every((row) => row.inFlight.length === 0)).toBe(true);
    expect(overview.environments[0]!.deployed!.digest).toMatch(/^[0-9a-f]{64}$/);

    const text = stageline(['environments'], project);
    expect(text.stdout.split('\n')[0]).toMatch(/^ENVIRONMENT\s+COMMIT\s+IMAGE\s+DIGEST\s+DEPLOYED/);
    expect(text.stdout).toMatch(/^app-production\s+\S+\s+hello:v2\s/m);

    const history = stageline(['history', 'app-staging', '--json'], project);
    expect((JSON.parse(history.stdout) as { deployments: { image: string }[] }).deployments.map((deployment) => deployment.image)).toEqual(['hello:v2', 'hello:v1']);
  });

  it('an environment the organization does not have is one line naming the known ones', () => {
    const project = exampleCopy();
    const { code, stdout, stderr } = stageline(['history', 'app-qa'], project);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('error: environment "app-qa" is not in the organization (.stageline/organization.yaml)\nhint: known environments: app-dev, app-staging, app-production\n');
  });

  it('before any deploy, every environment says never deployed', () => {
    const { code, stdout } = stageline(['environments'], exampleCopy());
    expect(code).toBe(0);
    expect(stdout.match(/never deployed/g)).toHaveLength(3);
  });
});

describe('stageline check', () => {
  it('names where every reference was found, never a value', () => {
    const project = exampleCopy();
    const { code, stdout, stderr } = stageline(['check'], project);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^app-production \(overlay production\): 2 references, all found$/m);
    expect(stdout).toMatch(/secret\s+database\/password\s+environment app-production \(\.stageline\/secrets\.yaml\)\s+spec\.container\.app\.env\.secrets\.DATABASE_PASSWORD/);
    expect(readFileSync(join(project, '.stageline', 'secrets.yaml'), 'utf8')).toContain('example-production-password');
    expect(stdout).not.toMatch(/example-production-password|local-dev-password/);
  });

  it('a missing production secret fails the check, naming every missing reference, and nothing is deployed', () => {
    const project = exampleCopy();
    writeFileSync(join(project, '.stageline', 'secrets.yaml'), 'other:\n  key: unrelated\n');
    const { code, stdout, stderr } = stageline(['check', '--env', 'app-production'], project);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^app-production \(overlay production\): 1 of 2 references missing$/m);
    expect(stdout).toMatch(/secret\s+database\/password\s+MISSING/);
    expect(stderr.split('\n')[0]).toBe('error: 1 reference has no value: app-production secret database/password');
    expect(stageline(['runs', '--json'], project).stdout.trim()).toBe('[]');
  });

  it('deploy runs the same check before its first environment applies: a missing production secret changes nothing in dev', () => {
    const project = exampleCopy();
    writeFileSync(join(project, '.stageline', 'secrets.yaml'), 'other:\n  key: unrelated\n');
    const { code, stdout } = stageline(['deploy', '--local', '--approve'], project);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^1\s+dev\s+app-dev\s+FAILED\s+.*before anything is deployed: 1 reference of later environments has no value: app-production secret database\/password/m);
    expect(stdout).toMatch(/^3\s+production\s+app-production\s+CANCELLED/m);
    expect(existsSync(join(project, '.stageline', 'store', 'deployed', 'acme', 'app-dev'))).toBe(false);
  });

  it('--env that the branch does not deploy is a usage error naming those it does', () => {
    const { code, stderr } = stageline(['check', '--env', 'app-qa'], exampleCopy());
    expect(code).toBe(1);
    expect(stderr).toContain('error: --env app-qa: not an environment branch main deploys');
    expect(stderr).toContain('hint: the branch deploys app-dev, app-staging, app-production');
  });
});

describe('stageline events', () => {
  it("lists a run's events in order, as JSON lines other tools read, without a secret", () => {
    const project = exampleCopy();
    expect(stageline(['deploy', '--local', '--approve'], project).code).toBe(0);
    const runId = (JSON.parse(stageline(['runs', '--json'], project).stdout) as { runId: string }[])[0]!.runId;

    const { code, stdout } = stageline(['events', runId, '--json'], project);
    expect(code).toBe(0);
    const events = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { source: string; detailType: string; detail: { env?: string; status?: string } });
    expect(events.every((event) => event.source === 'stageline')).toBe(true);
    const production = events.filter((event) => event.detail.env === 'app-production').map((event) => `${event.detailType}:${event.detail.status ?? ''}`);
    expect(production).toEqual([
      'Environment Status Change:PENDING',
      'Environment Status Change:WAITING_APPROVAL',
      'Approval Requested:',
      'Environment Status Change:APPROVED',
      'Environment Status Change:APPLYING',
      'Environment Status Change:SUCCEEDED',
    ]);
    expect(events.at(0)).toMatchObject({ detailType: 'Run Status Change', detail: { status: 'RUNNING' } });
    expect(events.at(-1)).toMatchObject({ detailType: 'Run Status Change', detail: { status: 'SUCCEEDED' } });
    expect(stdout).not.toMatch(/example-production-password|local-dev-password/);

    expect(stageline(['events', runId], project).stdout).toMatch(/app-production approval requested from ops@acme\.io, lead@acme\.io \(1 needed\)/);
  });

  it('an unknown run is one line with a hint', () => {
    const { code, stderr } = stageline(['events', 'nope-123'], exampleCopy());
    expect(code).toBe(1);
    expect(stderr).toBe('error: run nope-123 not found in the store\nhint: list runs with `stageline runs`\n');
  });
});
