import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { groupAlive } from '../adapters/local/command-provisioner.js';
import type { ProcessLiveness, ProcessOwner } from '../ports/stack-job-launcher.js';

/**
 * ProcessLiveness on this machine: `kill(pid, 0)` tells whether a process exists without touching
 * it (EPERM: it exists, as another user). A zombie (dead, not yet reaped by init) is dead. A
 * process of another host cannot be looked at: `undefined`.
 */
export const localProcessLiveness: ProcessLiveness = {
  host: hostname(),
  self: (): ProcessOwner => ({ host: hostname(), pid: process.pid }),
  isAlive: (owner) => (owner.host === hostname() ? processAlive(owner.pid) : undefined),
  isGroupAlive: (host, pgid) => (host === hostname() ? Number.isInteger(pgid) && pgid > 1 && groupAlive(pgid) : undefined),
};

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // No /proc (not Linux): the signal's answer stands.
  }
}
