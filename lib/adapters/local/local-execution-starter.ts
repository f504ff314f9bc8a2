import type { JsonObject } from '../../kustomize/json.js';
import type { ExecutionStarter } from '../../ports/execution-starter.js';
import { startLocalExecution, type LocalExecution, type LocalWorkflowDeps } from '../../local-runtime/state-machine-runner.js';
import { writeRunOwner } from '../../pipeline/stack-job/run-owner.js';
import type { ProcessOwner } from '../../ports/stack-job-launcher.js';

/**
 * StartExecution on a laptop: runs the state machine in this process; `executions` lets the
 * caller await them. It is also the workflow's own starter: a run that ends starts the next
 * queued run of its service and branch (`concurrency: queue`) here, in this same process.
 */
export class LocalExecutionStarter implements ExecutionStarter {
  readonly executions = new Map<string, LocalExecution>();
  /** The runs whose execution is still running here: this process renews their owner record. */
  readonly active = new Set<string>();
  private readonly startedAt = new Map<string, string>();

  constructor(
    private readonly deps: Omit<LocalWorkflowDeps, 'starter'>,
    /** This process, recorded as the owner of every run it executes (`runs/<runId>/owner.json`). */
    private readonly owner?: ProcessOwner,
  ) {}

  async start(name: string, input: JsonObject): Promise<{ executionId: string; alreadyStarted: boolean }> {
    const existing = this.executions.get(name);
    if (existing) return { executionId: existing.executionId, alreadyStarted: true };
    // The owner first: a run whose owner dies is recognised as abandoned (stageline cancel, the next deploy).
    this.startedAt.set(name, this.deps.clock.now().toISOString());
    if (this.owner) await writeRunOwner(this.deps.store, name, this.owner, this.startedAt.get(name)!, this.deps.clock.now());
    const execution = startLocalExecution({ ...this.deps, starter: this }, name, input);
    this.executions.set(name, execution);
    this.active.add(name);
    void execution.result.finally(() => this.active.delete(name));
    return { executionId: execution.executionId, alreadyStarted: false };
  }

  /** Renews the owner record of every run still executing here (the heartbeat). A failed write is skipped: the next beat tries again. */
  async renewOwnership(): Promise<void> {
    if (!this.owner) return;
    const now = this.deps.clock.now();
    await Promise.all([...this.active].map((runId) => writeRunOwner(this.deps.store, runId, this.owner!, this.startedAt.get(runId) ?? now.toISOString(), now).catch(() => undefined)));
  }

  /** Resolves when every execution this starter ran has ended, including those started meanwhile (queued runs). */
  async settled(): Promise<void> {
    for (;;) {
      const running = [...this.executions.values()];
      await Promise.all(running.map((execution) => execution.result));
      if (this.executions.size === running.length) return;
    }
  }
}
