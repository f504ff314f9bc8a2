import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { JsonObject } from '../../kustomize/json.js';
import type { ExecutionStarter } from '../../ports/execution-starter.js';
import { isAwsError } from './aws-errors.js';

/** `arn:…:stateMachine:<sm>` + name → `arn:…:execution:<sm>:<name>`. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * ExecutionStarter over Step Functions. An execution of that name that exists already (a repeated
 * build event) is `alreadyStarted`: Standard workflows refuse a second execution of one name for
 * 90 days after the first closed.
 */
export class SfnExecutionStarter implements ExecutionStarter {
  private readonly client: SFNClient;

  constructor(private readonly options: { stateMachineArn: string; client?: SFNClient }) {
    this.client = options.client ?? new SFNClient({});
  }

  async start(name: string, input: JsonObject): Promise<{ executionId: string; alreadyStarted: boolean }> {
    try {
      const response = await this.client.send(new StartExecutionCommand({ stateMachineArn: this.options.stateMachineArn, name, input: JSON.stringify(input) }));
      return { executionId: response.executionArn ?? executionArnFor(this.options.stateMachineArn, name), alreadyStarted: false };
    } catch (error) {
      if (isAwsError(error, 'ExecutionAlreadyExists')) return { executionId: executionArnFor(this.options.stateMachineArn, name), alreadyStarted: true };
      throw error;
    }
  }
}
