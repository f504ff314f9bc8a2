import { describe, expect, it } from 'vitest';
import { exampleProject, shell, STACK_TRACE, stageline } from './hostile-support.js';

/**
 * `stageline … | head -1`: the reader goes away while the CLI still writes. The reader here
 * closes its end before the CLI writes anything (`exec 0<&-`), so every write meets a closed pipe
 * (EPIPE) deterministically, whatever the output size; `head -1` over a long output is the same
 * case once the pipe buffer is full.
 */
const CLOSED_READER = '{ exec 0<&-; sleep 1; }';

function piped(command: string, cwd: string, reader = CLOSED_READER) {
  // The CLI's exit code (not the reader's) and its stderr, which stays a file.
  const result = shell(`stageline ${command} 2>"$ERR_FILE" | ${reader}; echo "exit=\${PIPESTATUS[0]}"; cat "$ERR_FILE"`, {
    cwd,
    env: { ERR_FILE: `${cwd}/stderr.txt` },
  });
  const [exitLine = '', ...stderr] = result.stdout.split('\n');
  return { code: Number(exitLine.replace('exit=', '')), stderr: stderr.join('\n') };
}

describe('a closed stdout pipe', () => {
  it('deploy --local | closed reader: the run still completes, exit 0, no EPIPE trace; then runs, status, plan, kustomize build exit quietly too', () => {
    const project = exampleProject();
    const deploy = piped(`deploy --project . --local --approve --commit abcdef1234`, project);
    expect(deploy.stderr).not.toMatch(STACK_TRACE);
    expect(deploy.stderr).not.toMatch(/EPIPE|internal error/);
    expect(deploy.code).toBe(0);
    const runs = JSON.parse(stageline(['runs', '--project', project, '--json']).stdout) as { runId: string; status: string }[];
    expect(runs).toMatchObject([{ status: 'SUCCEEDED' }]);

    for (const command of ['runs --project .', 'runs --project . --json', `status ${runs[0]!.runId} --project .`, 'plan --project .', 'plan --project . --json', 'kustomize build .', 'kustomize build _kustomize/overlays/production']) {
      const result = piped(command, project);
      expect(result.stderr, command).not.toMatch(STACK_TRACE);
      expect(result.stderr, command).not.toMatch(/EPIPE|internal error/);
      expect(result.code, command).toBe(0);
    }
  });

  it('`runs | head -1` over many runs prints the newest line and exits 0 quietly', () => {
    const project = exampleProject();
    // 300 recorded runs: far more output than a pipe buffer holds.
    const script = `for i in $(seq 1 300); do d=.stageline/store/runs/r$i; mkdir -p $d; printf '{"schemaVersion":1,"runId":"r%s","build":{"org":"acme","service":"hello-service","commitSha":"abcdef1234","branch":"main","image":"i","triggeredBy":"a@b.c"},"status":"SUCCEEDED","createdAt":"2026-01-01T00:00:%02d.%03dZ","updatedAt":"2026-01-01T00:00:00Z","tasks":[],"skipped":[],"warnings":[]}' $i $((i / 1000)) $i > $d/run.json; done`;
    expect(shell(script, { cwd: project }).code).toBe(0);
    const result = shell('stageline runs --project . 2>stderr.txt | head -1; echo "exit=${PIPESTATUS[0]}"; cat stderr.txt', { cwd: project });
    const [first, exit, ...stderr] = result.stdout.split('\n');
    expect(first).toMatch(/ r300 +SUCCEEDED/);
    expect(exit).toBe('exit=0');
    expect(stderr.join('\n')).toBe('');
  });

  it('stderr closed too (2>&1 | closed reader): still no crash', () => {
    const project = exampleProject();
    const result = shell(`stageline plan --project . --branch main 2>&1 | ${CLOSED_READER}; echo "exit=\${PIPESTATUS[0]}"`, { cwd: project });
    expect(result.stdout.trim()).toBe('exit=0');
    expect(result.stderr).toBe('');
  });
});
