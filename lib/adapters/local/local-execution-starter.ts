import type { JsonObject } from '../../kustomize/json.js';
import type { ExecutionStarter } from '../../ports/execution-starter.js';
import { startLocalExecution, type LocalExecution, type LocalWorkflowDeps } from '../../local-runtime/state-machine-runner.js';

/**
 * StartExecution on a laptop: runs the state machine in this process; `executions` lets the
 * caller await them. It is also the workflow's own starter: a run that ends starts the next
 * queued run of its service and branch (`concurrency: queue`) here, in this same process.
 */
export class LocalExecutionStarter implements ExecutionStarter {
  readonly executions = new Map<string, LocalExecution>();

  constructor(private readonly deps: Omit<LocalWorkflowDeps, 'starter'>) {}

  async start(name: string, input: JsonObject): Promise<{ executionId: string; alreadyStarted: boolean }> {
    const existing = this.executions.get(name);
    if (existing) return { executionId: existing.executionId, alreadyStarted: true };
    const execution = startLocalExecution({ ...this.deps, starter: this }, name, input);
    this.executions.set(name, execution);
    return { executionId: execution.executionId, alreadyStarted: false };
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
