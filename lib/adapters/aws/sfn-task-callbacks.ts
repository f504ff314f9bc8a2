import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { JsonObject } from '../../kustomize/json.js';
import type { CallbackOutcome, TaskCallbacks } from '../../ports/task-callbacks.js';
import { isAwsError } from './aws-errors.js';

/** The step is over (decided, timed out, execution stopped): a late answer is not an error. */
const CLOSED_ERRORS = ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'];

/** Step Functions' limits for SendTaskFailure. */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

/**
 * TaskCallbacks over Step Functions: SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat.
 * TaskTimedOut, InvalidToken and TaskDoesNotExist mean "already decided or expired": `closed`.
 * The token is never logged and never put into an error message.
 */
export class SfnTaskCallbacks implements TaskCallbacks {
  private readonly client: SFNClient;

  constructor(options: { client?: SFNClient } = {}) {
    this.client = options.client ?? new SFNClient({});
  }

  succeed(token: string, output: JsonObject): Promise<CallbackOutcome> {
    return this.send(() => this.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })));
  }

  fail(token: string, error: string, cause: string): Promise<CallbackOutcome> {
    return this.send(() =>
      this.client.send(new SendTaskFailureCommand({ taskToken: token, error: error.slice(0, MAX_ERROR), cause: cause.slice(0, MAX_CAUSE) })),
    );
  }

  heartbeat(token: string): Promise<CallbackOutcome> {
    return this.send(() => this.client.send(new SendTaskHeartbeatCommand({ taskToken: token })));
  }

  private async send(call: () => Promise<unknown>): Promise<CallbackOutcome> {
    try {
      await call();
      return 'delivered';
    } catch (error) {
      if (isAwsError(error, ...CLOSED_ERRORS)) return 'closed';
      throw error;
    }
  }
}
