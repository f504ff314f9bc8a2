import { describe, expect, it } from 'vitest';
import { exampleCopy, stageline } from './example-project.js';

/** deploy --local for people (one line per environment change; --verbose, --quiet) and for CI (--output json). */



describe('deploy --local output', () => {
  it('by default: one line per environment state change and the final table; the stack jobs speak only with --verbose', () => {
    const project = exampleCopy();
    const plain = stageline(['deploy', '--local', '--approve'], project);
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toMatch(/\[app-dev\]/);
    const changes = plain.stderr.split('\n').filter((line) => /^\s+\d+\.\ds\s+app-/.test(line)).map((line) => line.trim().split(/\s+/).slice(1, 3).join(' '));
    // In promotion order: each environment succeeds before the next one applies.
    const succeeded = ['app-dev', 'app-staging', 'app-production'].map((env) => changes.indexOf(`${env} SUCCEEDED`));
    expect(succeeded.every((index) => index >= 0)).toBe(true);
    expect([...succeeded].sort((a, b) => a - b)).toEqual(succeeded);
    expect(plain.stdout).toMatch(/^run \S+: SUCCEEDED$/m);

    const verbose = stageline(['deploy', '--local', '--approve', '--redeploy', '--verbose'], project);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toMatch(/^ {2}\[app-dev\] stack job: hello-service → app-dev/m);
  });

  it('--quiet prints the final line only', () => {
    const { code, stdout, stderr } = stageline(['deploy', '--local', '--approve', '--quiet'], exampleCopy());
    expect(code).toBe(0);
    expect(stdout).toMatch(/^run \S+: SUCCEEDED\n$/);
    expect(stderr).not.toMatch(/APPLYING/);
  });

  it('--output json prints one run event per line on stdout, and nothing else there', () => {
    const { code, stdout } = stageline(['deploy', '--local', '--approve', '--output', 'json'], exampleCopy());
    expect(code).toBe(0);
    const events = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { source: string; detailType: string; detail: { status?: string } });
    expect(events.every((event) => event.source === 'stageline')).toBe(true);
    expect(events.at(0)).toMatchObject({ detailType: 'Run Status Change', detail: { status: 'RUNNING' } });
    expect(events.at(-1)).toMatchObject({ detailType: 'Run Status Change', detail: { status: 'SUCCEEDED' } });
    expect(events.filter((event) => event.detailType === 'Approval Requested')).toHaveLength(1);
  });

  it('conflicting output flags are one usage line', () => {
    const { code, stderr } = stageline(['deploy', '--local', '--approve', '--quiet', '--output', 'json'], exampleCopy());
    expect(code).toBe(1);
    expect(stderr).toBe('error: --quiet and --output json exclude each other\n');
    expect(stageline(['deploy', '--local', '--output', 'yaml'], exampleCopy()).stderr).toBe('error: --output "yaml": expected text or json\n');
  });
});
