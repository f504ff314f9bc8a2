import { DirectoryArtifactStore } from '../../adapters/local/directory-artifact-store.js';
import { localProjectPaths } from '../../adapters/local/local-project.js';
import { requireRun, type RunStatus } from '../../pipeline/workflow/records.js';
import { listRunEvents, type RunEvent } from '../../pipeline/workflow/run-events.js';
import { printable, type CliIo } from '../io.js';

const FINAL_RUN_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'SUPERSEDED'];

/** How often `--follow` looks for new events. */
const FOLLOW_INTERVAL_MS = 250;

/**
 * `stageline events <run>`: the run's events as other tools receive them (EventBridge in AWS), oldest
 * first; `--json` prints one event per line; `--follow` keeps printing until the run has ended.
 */
export async function eventsCommand(options: { project: string; stateDir?: string; runId: string; json?: boolean; follow?: boolean }, io: CliIo): Promise<void> {
  const store = new DirectoryArtifactStore(localProjectPaths(io.cwd, options).storeDir);
  await requireRun(store, options.runId);
  const printed = new Set<string>();
  const print = (events: RunEvent[]) => {
    for (const event of events) {
      if (printed.has(event.id)) continue;
      printed.add(event.id);
      io.out(options.json ? JSON.stringify(event) : formatEvent(event));
    }
  };
  for (;;) {
    print(await listRunEvents(store, options.runId));
    if (!options.follow) return;
    const run = await requireRun(store, options.runId);
    if (FINAL_RUN_STATUSES.includes(run.status)) {
      print(await listRunEvents(store, options.runId));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
  }
}

export function formatEvent(event: RunEvent): string {
  const { detail } = event;
  switch (event.detailType) {
    case 'Run Status Change':
      return printable(`${event.time}  run ${event.detail.previousStatus ?? '-'} → ${event.detail.status}${event.detail.failure ? `  ${event.detail.failure.env ?? ''} ${event.detail.failure.cause}` : ''}`);
    case 'Environment Status Change':
      return printable(`${event.time}  ${event.detail.env} ${event.detail.previousStatus ?? '-'} → ${event.detail.status}${event.detail.detail ? `  ${event.detail.detail}` : ''}`);
    case 'Approval Requested':
      return printable(`${event.time}  ${event.detail.env} approval requested from ${event.detail.approvers.join(', ') || 'nobody'} (${event.detail.minApprovals} needed) for ${detail.image}`);
  }
}
