import { describe, expect, it } from 'vitest';
import { provisionerUser } from '../../../../lib/adapters/aws/provisioner-user.js';

const PASSWD = ['root:x:0:0:root:/root:/bin/bash', 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin', 'deployer:x:1001:1002::/home/deployer:/bin/sh', 'toor:x:0:0::/root:/bin/sh'].join('\n');
const asRoot = { passwd: () => PASSWD, uid: () => 0 };

describe('the user provisioner commands run as', () => {
  it('is nobody by default when the runner is root (as in CodeBuild)', () => {
    expect(provisionerUser({}, asRoot)).toEqual({ name: 'nobody', uid: 65534, gid: 65534 });
  });

  it('is the one STAGELINE_PROVISIONER_USER names', () => {
    expect(provisionerUser({ STAGELINE_PROVISIONER_USER: 'deployer' }, asRoot)).toEqual({ name: 'deployer', uid: 1001, gid: 1002 });
  });

  it('is none when the runner is not root: it cannot switch users', () => {
    expect(provisionerUser({}, { passwd: () => PASSWD, uid: () => 1000 })).toBeUndefined();
  });

  it('refuses a user that does not exist, and a root user, with a hint', () => {
    expect(() => provisionerUser({ STAGELINE_PROVISIONER_USER: 'ghost' }, asRoot)).toThrow('STAGELINE_PROVISIONER_USER: user "ghost" does not exist in the runner image (/etc/passwd)');
    expect(() => provisionerUser({ STAGELINE_PROVISIONER_USER: 'toor' }, asRoot)).toThrow(/must not run as root/);
  });
});
