import { describe, expect, it } from 'vitest';
import { StorageError } from '../../../../lib/errors.js';

const errno = (code: string, path?: string) => Object.assign(new Error(`${code}: failed`), { code, ...(path ? { path } : {}) });

describe('StorageError.from', () => {
  it.each([
    ['ENOSPC', /no space left on the device \(ENOSPC\)/, /free space .*df -h \/state/],
    ['EDQUOT', /disk quota is exceeded \(EDQUOT\)/, /quota/],
    ['EROFS', /read-only \(EROFS\)/, /--state-dir/],
    ['EIO', /input\/output error .*\(EIO\)/, /dmesg/],
  ])('%s: one line naming the file, and a hint', (code, message, hint) => {
    const error = StorageError.from(errno(code, '/state/runs/r1/.run.json.tmp-1-ab'), 'write', '/state/runs/r1/run.json', '/state');
    expect(error).toBeInstanceOf(StorageError);
    expect(error!.message).toMatch(/^cannot write \/state\/runs\/r1\/\.run\.json\.tmp-1-ab: /);
    expect(error!.message).toMatch(message);
    expect(error!.hint).toMatch(hint);
    expect(error!.errno).toBe(code);
  });

  it('anything else stays what it was (a bug is still reported as one)', () => {
    expect(StorageError.from(errno('EINVAL'), 'write', '/x', '/')).toBeUndefined();
    expect(StorageError.from(new TypeError('nope'), 'write', '/x', '/')).toBeUndefined();
  });
});
