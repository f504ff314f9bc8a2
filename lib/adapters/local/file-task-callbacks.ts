import type { JsonObject } from '../../kustomize/json.js';
import { isPreconditionFailed, type ArtifactStore } from '../../ports/artifact-store.js';
import type { CallbackOutcome, TaskCallbacks } from '../../ports/task-callbacks.js';
import { parseJsonRecord } from '../../pipeline/workflow/records.js';

/** What a waiting step was answered with. */
export type CallbackMessage = { type: 'success'; output: JsonObject } | { type: 'failure'; error: string; cause: string };

const resultKey = (token: string) => `local/callbacks/${token}.json`;
const closedKey = (token: string) => `local/callbacks/${token}.closed`;
const heartbeatKey = (token: string) => `local/callbacks/${token}.heartbeat`;

/**
 * TaskCallbacks on a laptop: the answer to a waiting step is a file in the local store
 * (`local/callbacks/<token>.json`, written once), so any process can complete a step — the
 * stack-job child process, `stageline approve` in another terminal, the local approval page —
 * and the process running the state machine picks it up. Local-only: not part of the S3 layout.
 */
export class FileTaskCallbacks implements TaskCallbacks {
  /**
   * Answers this process could not write (a full disk): the state machine runs in this same
   * process (the launcher reports a runner that died before reporting through this object), so
   * it still sees them and the step ends at once instead of waiting for its timeout.
   */
  private readonly unwritten = new Map<string, CallbackMessage>();
  private readonly closedHere = new Set<string>();

  constructor(private readonly store: ArtifactStore) {}

  succeed(token: string, output: JsonObject): Promise<CallbackOutcome> {
    return this.deliver(token, { type: 'success', output });
  }

  fail(token: string, error: string, cause: string): Promise<CallbackOutcome> {
    return this.deliver(token, { type: 'failure', error, cause });
  }

  async heartbeat(token: string): Promise<CallbackOutcome> {
    if (await this.isClosed(token)) return 'closed';
    await this.store.put(heartbeatKey(token), new Date().toISOString());
    return 'delivered';
  }

  /** The runtime's side: the answer, once there is one. */
  async read(token: string): Promise<CallbackMessage | undefined> {
    const object = await this.store.get(resultKey(token));
    // A corrupt answer fails its step with an error naming the file, not a bare SyntaxError.
    if (object) return parseJsonRecord(resultKey(token), object.body) as CallbackMessage;
    return this.unwritten.get(token);
  }

  /** The runtime's side: the step ended without an answer (timeout, abort); later answers are refused. */
  async close(token: string): Promise<void> {
    this.closedHere.add(token);
    this.unwritten.delete(token);
    await this.store.put(closedKey(token), new Date().toISOString());
  }

  private async deliver(token: string, message: CallbackMessage): Promise<CallbackOutcome> {
    if (await this.isClosed(token)) return 'closed';
    try {
      await this.store.put(resultKey(token), `${JSON.stringify(message)}\n`, { ifNoneMatch: '*' });
      return 'delivered';
    } catch (error) {
      if (isPreconditionFailed(error)) return 'closed';
      if (!this.unwritten.has(token)) this.unwritten.set(token, message);
      throw error;
    }
  }

  private async isClosed(token: string): Promise<boolean> {
    if (this.closedHere.has(token)) return true;
    return (await this.store.get(closedKey(token))) !== undefined;
  }
}
