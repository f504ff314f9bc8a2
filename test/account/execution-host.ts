import '../../lib/local-runtime/polyfills.js';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { FunctionError, type LambdaHost } from './lambda-host.js';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HostedExecution {
  arn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  error?: string;
  cause?: string;
  /** The execution history (aws-local-stepfunctions' event log), with every state's input and output. */
  events: Array<Record<string, unknown>>;
  done: Promise<ExecutionStatus>;
  abort(): void;
}

interface OpenTask {
  execution: HostedExecution;
  state: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  heartbeat: () => void;
}

interface TaskState {
  Type: string;
  Resource?: string;
  HeartbeatSeconds?: number;
}

/**
 * Runs the template's state-machine definition (its DefinitionString with the substitutions
 * resolved) with aws-local-stepfunctions. Every Lambda Task invokes the function its
 * `FunctionName` parameter names — that function's own bundle. A `.waitForTaskToken` Task mints its
 * own token per invocation (AWS gives each Task its own) and completes when SendTaskSuccess /
 * SendTaskFailure for that token reaches {@link ExecutionHost.deliver} — the callbacks the runner
 * and the approval function send to the account's endpoint.
 */
export class ExecutionHost {
  readonly executions = new Map<string, HostedExecution>();
  private readonly openTasks = new Map<string, OpenTask>();
  private readonly taskStates = new Map<string, TaskState>();
  heartbeats = 0;

  constructor(
    private readonly definition: string,
    private readonly lambdas: LambdaHost,
    private readonly onEnd: (execution: HostedExecution) => Promise<void>,
  ) {
    collectTaskStates(JSON.parse(definition) as { States: Record<string, unknown> }, this.taskStates);
  }

  start(arn: string, name: string, input: string): HostedExecution {
    const machine = new StateMachine(JSON.parse(this.definition), { validationOptions: { noValidate: true } });
    const execution: HostedExecution = { arn, name, input, status: 'RUNNING', events: [], done: undefined as unknown as Promise<ExecutionStatus>, abort: () => undefined };
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    // AWS stops a Map at its first failed iteration; aws-local-stepfunctions keeps starting the
    // queued ones. No Task of an execution runs once one of its Tasks failed (the Catch's own
    // states run outside the Map and are not held back: they start after the failure).
    let mapFailed = false;
    const inMap = new Set(this.mapStateNames());
    for (const [stateName, state] of this.taskStates) {
      const waits = state.Resource?.endsWith('.waitForTaskToken') ?? false;
      handlers[stateName] = async (taskInput: unknown) => {
        if (mapFailed && inMap.has(stateName)) {
          throw Object.assign(new Error('an earlier iteration of the Map failed'), { name: 'States.Cancelled' });
        }
        try {
          return await (waits ? this.waitingTask(execution, stateName, state, taskInput) : this.lambdaTask(taskInput));
        } catch (error) {
          if (inMap.has(stateName)) mapFailed = true;
          throw error;
        }
      };
    }
    const startTime = new Date().toISOString();
    const run = machine.run(JSON.parse(input), {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: { Id: arn, Name: name, Input: JSON.parse(input), StartTime: startTime, RoleArn: 'arn:aws:iam::000000000000:role/unused' },
        StateMachine: { Id: arn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''), Name: '' },
        State: { Name: '', EnteredTime: '' },
        get Task() {
          // Replaced per invocation in waitingTask (the getter runs once per Map iteration).
          return { Token: CONTEXT_TOKEN };
        },
      } as never,
    });
    execution.abort = () => run.abort();
    const history = (async () => {
      for await (const event of run.eventLogs) execution.events.push(event as unknown as Record<string, unknown>);
    })();
    execution.done = run.result.then(
      () => 'SUCCEEDED' as const,
      (error: Error) => {
        execution.error = error.name;
        execution.cause = error.message;
        if (error.name === 'ExecutionAbortedError') return 'ABORTED' as const;
        if (error.name === 'ExecutionTimeoutError') return 'TIMED_OUT' as const;
        return 'FAILED' as const;
      },
    ).then(async (status) => {
      execution.status = status;
      await history.catch(() => undefined);
      for (const [token, task] of this.openTasks) if (task.execution === execution) this.openTasks.delete(token);
      await this.onEnd(execution);
      return status;
    });
    this.executions.set(arn, execution);
    return execution;
  }

  /**
   * A task callback that IAM allowed: completes the open task, or answers as Step Functions
   * does for a token that is not open (TaskDoesNotExist).
   */
  deliver(action: 'SendTaskSuccess' | 'SendTaskFailure' | 'SendTaskHeartbeat', body: { taskToken?: string; output?: string; error?: string; cause?: string }): { status: number; body: string } {
    const task = body.taskToken ? this.openTasks.get(body.taskToken) : undefined;
    if (!task) return { status: 400, body: JSON.stringify({ __type: 'TaskDoesNotExist', message: 'Task does not exist anymore' }) };
    if (action === 'SendTaskHeartbeat') {
      this.heartbeats += 1;
      task.heartbeat();
      return { status: 200, body: '{}' };
    }
    this.openTasks.delete(body.taskToken!);
    if (action === 'SendTaskSuccess') task.resolve(JSON.parse(body.output ?? '{}'));
    else task.reject(Object.assign(new Error(body.cause ?? ''), { name: body.error ?? 'States.TaskFailed' }));
    return { status: 200, body: '{}' };
  }

  /** Tokens of the open waiting tasks (approvals, stack jobs) of an execution. */
  openTaskStates(executionArn: string): string[] {
    return [...this.openTasks.values()].filter((task) => task.execution.arn === executionArn).map((task) => task.state);
  }

  private async lambdaTask(taskInput: unknown): Promise<unknown> {
    const { FunctionName, Payload } = taskInput as { FunctionName: string; Payload: unknown };
    return { Payload: await this.invokeAsStepFunctionsDoes(FunctionName, Payload), StatusCode: 200, ExecutedVersion: '$LATEST' };
  }

  private async waitingTask(execution: HostedExecution, stateName: string, state: TaskState, taskInput: unknown): Promise<unknown> {
    const token = `${randomUUID()}${randomUUID()}`.replace(/-/g, '');
    const { FunctionName, Payload } = replaceToken(taskInput, token) as { FunctionName: string; Payload: unknown };
    const answered = new Promise<unknown>((resolve, reject) => {
      let heartbeatTimer: NodeJS.Timeout | undefined;
      const armHeartbeat = () => {
        if (heartbeatTimer) clearTimeout(heartbeatTimer);
        if (state.HeartbeatSeconds) {
          heartbeatTimer = setTimeout(() => {
            this.openTasks.delete(token);
            reject(Object.assign(new Error('heartbeat timeout'), { name: 'States.HeartbeatTimeout' }));
          }, state.HeartbeatSeconds * 1000);
          heartbeatTimer.unref();
        }
      };
      armHeartbeat();
      const settle = <T>(fn: (value: T) => void) => (value: T) => {
        if (heartbeatTimer) clearTimeout(heartbeatTimer);
        fn(value);
      };
      this.openTasks.set(token, { execution, state: stateName, resolve: settle(resolve), reject: settle(reject), heartbeat: armHeartbeat });
    });
    try {
      await this.invokeAsStepFunctionsDoes(FunctionName, Payload);
    } catch (error) {
      this.openTasks.delete(token);
      throw error;
    }
    return answered;
  }

  /** A function error fails the Task with the function's errorType, its cause the error as JSON (as the lambda:invoke integration does). */
  private async invokeAsStepFunctionsDoes(functionName: string, payload: unknown): Promise<unknown> {
    try {
      return await this.lambdas.invoke(functionName, payload);
    } catch (error) {
      if (error instanceof FunctionError) {
        throw Object.assign(new Error(JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace })), { name: error.errorType });
      }
      throw Object.assign(new Error(String(error)), { name: 'Lambda.ServiceException' });
    }
  }

  private mapStateNames(): string[] {
    return [...this.taskStates.keys()].filter((name) => this.mapChildren.has(name));
  }

  private get mapChildren(): Set<string> {
    const names = new Set<string>();
    const visit = (states: Record<string, { Type: string; ItemProcessor?: { States: Record<string, unknown> }; Iterator?: { States: Record<string, unknown> } }>, inside: boolean) => {
      for (const [name, state] of Object.entries(states)) {
        if (inside) names.add(name);
        const processor = state.ItemProcessor ?? state.Iterator;
        if (state.Type === 'Map' && processor) visit(processor.States as never, true);
      }
    };
    visit((JSON.parse(this.definition) as { States: never }).States, false);
    return names;
  }
}

const CONTEXT_TOKEN = 'context-task-token';

function replaceToken(value: unknown, token: string): unknown {
  if (value === CONTEXT_TOKEN) return token;
  if (Array.isArray(value)) return value.map((item) => replaceToken(item, token));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceToken(item, token)]));
  return value;
}

function collectTaskStates(machine: { States: Record<string, unknown> }, into: Map<string, TaskState>): void {
  for (const [name, raw] of Object.entries(machine.States)) {
    const state = raw as TaskState & { ItemProcessor?: { States: Record<string, unknown> }; Iterator?: { States: Record<string, unknown> }; Branches?: Array<{ States: Record<string, unknown> }> };
    if (state.Type === 'Task') {
      if (!state.Resource?.startsWith('arn:aws:states:::lambda:invoke')) throw new Error(`state "${name}": the emulated account runs Lambda tasks only, not ${state.Resource}`);
      into.set(name, state);
    }
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) collectTaskStates(processor as never, into);
    for (const branch of state.Branches ?? []) collectTaskStates(branch as never, into);
  }
}
