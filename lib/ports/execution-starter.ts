import type { JsonObject } from '../kustomize/json.js';

/** Starts a state-machine execution: StartExecution in AWS, the in-process ASL runner locally. */
export interface ExecutionStarter {
  /**
   * Starts `name` with `input`. An execution of that name that already exists is not an error:
   * `alreadyStarted` is true and nothing new runs (a repeated build event).
   */
  start(name: string, input: JsonObject): Promise<{ executionId: string; alreadyStarted: boolean }>;
}
