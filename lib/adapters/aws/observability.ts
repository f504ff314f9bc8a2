import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { FigureRecordingStore, type Figure } from '../../pipeline/workflow/run-figures.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import { optionalEnv } from './lambda-environment.js';

/** The CloudWatch namespace of Stageline's own metrics (EMF, written by the functions). */
export const METRICS_NAMESPACE = 'Stageline';
/** The Logger's `service` key: every Stageline function logs as this service. */
export const LOG_SERVICE_NAME = 'stageline';

/**
 * Keys never logged, wherever they appear in a log item (the Logger's JSON replacer): a task token
 * is the capability of a waiting step; a signature or secret is one too. Stageline's own lines
 * never carry them; this is the net under them.
 */
const SECRET_KEYS = /^(taskToken|token|sig|signature|secret|secretString|password|authorization|cookie|formToken)$/i;

/** The parts of the Lambda context the Logger reads (Powertools' `addContext`). */
export interface InvocationContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string | number;
  awsRequestId: string;
  [key: string]: unknown;
}

/** What one invocation is about, as log keys: the run, its execution, the deployment environment. */
export interface InvocationKeys {
  runId?: string;
  execution?: string;
  environment?: string;
  [key: string]: string | undefined;
}

export interface FunctionObservability {
  readonly logger: Logger;
  /** The store to give the domain: it notes the figures of each run/gate transition it writes. */
  observe(store: ArtifactStore): ArtifactStore;
  /** Publishes figures (EMF, one line per service and environment). */
  publish(figures: readonly Figure[]): void;
  /**
   * The Lambda handler around `handler`: the Lambda context and `keys(event)` on every log line of
   * the invocation, one line when it ends (its outcome, never the event), the figures noted by the
   * observed store published, and an error logged (name and first line) before it is rethrown.
   */
  handler<E, R>(handler: (event: E) => Promise<R>, options?: { keys?: (event: E) => InvocationKeys; outcome?: (result: R, event: E) => Record<string, unknown> }): (event: E, context?: InvocationContext) => Promise<R>;
}

/**
 * Powertools Logger and Metrics for one Stageline function. The level comes from
 * POWERTOOLS_LOG_LEVEL (the stack sets it from the `stageline:logLevel` context key; INFO by
 * default); `function` is the Stageline function's name ('start-pipeline', …).
 */
export function functionObservability(functionName: string, env: NodeJS.ProcessEnv = process.env): FunctionObservability {
  const logger = new Logger({
    serviceName: LOG_SERVICE_NAME,
    persistentKeys: { function: functionName },
    jsonReplacerFn: (key, value) => (SECRET_KEYS.test(key) ? '[redacted]' : value),
  });
  const executionArnPrefix = optionalEnv('STAGELINE_EXECUTION_ARN_PREFIX', env);
  const stores: FigureRecordingStore[] = [];

  const publish = (figures: readonly Figure[]) => {
    const groups = new Map<string, Figure[]>();
    for (const figure of figures) {
      const group = `${figure.service}\u0000${figure.environment ?? ''}`;
      groups.set(group, [...(groups.get(group) ?? []), figure]);
    }
    for (const group of groups.values()) {
      const { service, environment } = group[0]!;
      const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service, ...(environment ? { defaultDimensions: { environment } } : {}) });
      for (const figure of group) metrics.addMetric(figure.name, figure.unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, figure.value);
      metrics.publishStoredMetrics();
    }
  };

  return {
    logger,
    observe(store) {
      const observed = new FigureRecordingStore(store);
      stores.push(observed);
      return observed;
    },
    publish,
    handler(handler, options = {}) {
      return async (event, context) => {
        if (context) logger.addContext(context as never);
        const keys = definedKeys(safely(() => options.keys?.(event)) ?? {});
        if (keys.runId && !keys.execution && executionArnPrefix) keys.execution = `${executionArnPrefix}${keys.runId}`;
        logger.appendKeys(keys);
        try {
          const result = await handler(event);
          logger.info(`${functionName}: done`, { outcome: safely(() => options.outcome?.(result, event)) ?? {} });
          return result;
        } catch (error) {
          logger.error(`${functionName}: failed`, { error: errorSummary(error) });
          throw error;
        } finally {
          try {
            publish(stores.flatMap((store) => store.drain()));
          } catch (error) {
            logger.warn('metrics not published', { error: errorSummary(error) });
          }
          logger.resetKeys();
        }
      };
    },
  };
}

/** An error as a log key: its name and first line (Stageline's messages never carry a secret, DESIGN §5), no stack. */
export function errorSummary(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message.split('\n')[0]!.slice(0, 500) };
  return { name: 'unknown', message: String(error).split('\n')[0]!.slice(0, 500) };
}

function definedKeys(keys: InvocationKeys): Record<string, string> {
  return Object.fromEntries(Object.entries(keys).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The keys of a workflow step's event (`{ runId, task?: { env } }`): never its task token. */
export function stepKeys(event: unknown): InvocationKeys {
  const value = (event ?? {}) as { runId?: unknown; task?: { env?: unknown } };
  return {
    ...(typeof value.runId === 'string' ? { runId: value.runId } : {}),
    ...(typeof value.task?.env === 'string' ? { environment: value.task.env } : {}),
  };
}
