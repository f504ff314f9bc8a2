import type { JsonObject } from '../../kustomize/json.js';
import type { ExecutionStarter } from '../../ports/execution-starter.js';
import { startLocalExecution, type LocalExecution, type LocalWorkflowDeps } from '../../local-runtime/state-machine-runner.js';

/** StartExecution on a laptop: runs the state machine in this process; `executions` lets the caller await them. */
export class LocalExecutionStarter implements ExecutionStarter {
  readonly executions = new Map<string, LocalExecution>();

  constructor(private readonly deps: LocalWorkflowDeps) {}

  async start(name: string, input: JsonObject): Promise<{ executionId: string; alreadyStarted: boolean }> {
    const existing = this.executions.get(name);
    if (existing) return { executionId: existing.executionId, alreadyStarted: true };
    const execution = startLocalExecution(this.deps, name, input);
    this.executions.set(name, execution);
    return { executionId: execution.executionId, alreadyStarted: false };
  }
}
