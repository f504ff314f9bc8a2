import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleProject, STACK_TRACE, stageline } from './hostile-support.js';

/**
 * A real full filesystem: a 256 KiB tmpfs as the store (needs root to mount; the adapter's
 * mapping of each errno is also unit-tested in test/unit/adapters/local/store-write-errors.test.ts).
 */
const mountPoint = mkdtempSync(join(tmpdir(), 'stageline-full-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint]).status === 0;

beforeAll(() => {
  if (!mounted) return;
  // Fill it: what is left is less than a store write needs.
  spawnSync('dd', ['if=/dev/zero', `of=${join(mountPoint, 'filler')}`, 'bs=4k', 'count=1000'], { stdio: 'ignore' });
});
afterAll(() => {
  if (mounted) spawnSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!mounted)('a full disk under the local store', () => {
  it('deploy --local: one error naming the file it could not write and a hint to free space; exit 1, no internal error', () => {
    const project = exampleProject();
    const result = stageline(['deploy', '--project', project, '--local', '--approve', '--commit', 'abcdef1234', '--state-dir', join(mountPoint, 'store')]);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: cannot write ${mountPoint}/store/\\S+: no space left on the device \\(ENOSPC\\)`, 'm'));
    expect(result.stderr).toMatch(/^hint: free space .*df -h/m);
  });

  it('dot-env and kustomize init in a project on a full disk: one named error each, no internal error', () => {
    const disk = mkdtempSync(join(tmpdir(), 'stageline-full-project-'));
    try {
      expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', disk]).status).toBe(0);
      try {
        const project = join(disk, 'project');
        cpSync(exampleProject(), project, { recursive: true });
        spawnSync('dd', ['if=/dev/zero', `of=${join(disk, 'filler')}`, 'bs=4k', 'count=1000'], { stdio: 'ignore' });
        const dotEnv = stageline(['dot-env', '--project', project]);
        expect(dotEnv.stderr).not.toMatch(/internal error/);
        expect(dotEnv.code).toBe(1);
        expect(dotEnv.stderr).toMatch(/^error: cannot write \S*\.env\S*: no space left on the device \(ENOSPC\)/m);
        const init = stageline(['kustomize', 'init', '--new', '--project', join(disk, 'new-service')]);
        expect(init.stderr).not.toMatch(/internal error/);
        expect(init.code).toBe(1);
        expect(init.stderr).toMatch(/^error: cannot write \S+: no space left on the device \(ENOSPC\)/m);
      } finally {
        spawnSync('umount', [disk]);
      }
    } finally {
      rmSync(disk, { recursive: true, force: true });
    }
  });

  it('a read-only store (EROFS) says so and how to point elsewhere', () => {
    const readOnly = mkdtempSync(join(tmpdir(), 'stageline-ro-'));
    try {
      mkdirSync(join(readOnly, 'store'));
      writeFileSync(join(readOnly, 'store', 'keep'), '');
      expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', join(readOnly, 'store')]).status).toBe(0);
      try {
        const project = exampleProject();
        const result = stageline(['deploy', '--project', project, '--local', '--approve', '--commit', 'abcdef1234', '--state-dir', join(readOnly, 'store')]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/^error: cannot write \S+: the filesystem is read-only \(EROFS\)/m);
        expect(result.stderr).toMatch(/^hint: .*--state-dir/m);
      } finally {
        spawnSync('umount', [join(readOnly, 'store')]);
      }
    } finally {
      rmSync(readOnly, { recursive: true, force: true });
    }
  });
});
