import { describe, expect, it } from 'vitest';
import { parseKustomizeBuildArgs } from '../../../lib/cli/commands/kustomize-build.js';

describe('parseKustomizeBuildArgs (the fast path of `stageline kustomize build`)', () => {
  it('takes directories and the command\'s options, in both --flag value and --flag=value forms', () => {
    expect(parseKustomizeBuildArgs([])).toEqual({ dirs: [] });
    expect(parseKustomizeBuildArgs(['a', '--reorder', 'none', 'b', '--json'])).toEqual({ dirs: ['a', 'b'], reorder: 'none', json: true });
    expect(parseKustomizeBuildArgs(['.', '--overlay=dev', '--out=rendered', '--reorder=legacy'])).toEqual({ dirs: ['.'], overlay: 'dev', out: 'rendered', reorder: 'legacy' });
    expect(parseKustomizeBuildArgs(['--', '-odd-name', '--json'])).toEqual({ dirs: ['-odd-name', '--json'] });
    expect(parseKustomizeBuildArgs(['--out', 'x', '--out', 'y'])).toEqual({ dirs: [], out: 'y' });
  });

  it('leaves anything else to the full CLI (commander reports it)', () => {
    for (const args of [['--help'], ['-h'], ['a', '--reorder', 'bogus'], ['--reorder'], ['--out', '--json'], ['--frobnicate'], ['-x'], ['--json=true'], ['--OUT', 'x']]) {
      expect(parseKustomizeBuildArgs(args), args.join(' ')).toBeUndefined();
    }
  });
});
