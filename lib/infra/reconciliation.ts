import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { RECONCILED_EXECUTION_STATUSES } from '../pipeline/workflow/reconcile.js';
import { StagelineFunction } from './functions.js';

export interface ExecutionReconcilerProps {
  readonly functionsDir: string;
  readonly bucket: IBucket;
  readonly logRetention: RetentionDays;
  readonly stateMachine: IStateMachine;
  readonly deadLetterQueue: IQueue;
}

/**
 * Executions that end outside the state machine's Catch (States.Runtime, States.DataLimitExceeded,
 * StopExecution, an execution timeout, "Cancel remaining environments" out of retries) would leave
 * their run RUNNING and a `concurrency: queue` lane blocked. Step Functions publishes an
 * `aws.states` "Step Functions Execution Status Change" event when an execution ends; the
 * `ExecutionEnded` rule sends this state machine's FAILED, TIMED_OUT and ABORTED ones to the
 * reconcile-execution function (lib/pipeline/workflow/reconcile.ts), which ends the run, closes its
 * open gates and starts the next queued run. Runs the Catch already ended (their executions end
 * FAILED too) are left alone, so every failed execution can be delivered safely, and so can a retry.
 */
export class ExecutionReconciler extends Construct {
  readonly reconcile: StagelineFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: ExecutionReconcilerProps) {
    super(scope, id);
    this.reconcile = new StagelineFunction(this, 'Reconcile', {
      name: 'reconcile-execution',
      description: 'Stageline: ends the run of an execution that failed, timed out or was stopped outside the workflow, and starts the next queued run',
      functionsDir: props.functionsDir,
      bucket: props.bucket,
      logRetention: props.logRetention,
      onFailure: props.deadLetterQueue,
    });
    this.rule = new Rule(this, 'ExecutionEnded', {
      description: 'Stageline: a deployment-stage execution ended FAILED/TIMED_OUT/ABORTED → end its run if the workflow did not',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: [...RECONCILED_EXECUTION_STATUSES], stateMachineArn: [props.stateMachine.stateMachineArn] },
      },
      // A late reconciliation is still worth doing (the lane is blocked until it happens).
      targets: [new LambdaFunction(this.reconcile.function, { retryAttempts: 8, maxEventAge: Duration.hours(24), deadLetterQueue: props.deadLetterQueue })],
    });
  }
}
