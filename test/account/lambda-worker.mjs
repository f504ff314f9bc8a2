// One Lambda execution environment: loads one function's bundle (as the nodejs runtime does:
// `<file>.<export>`), then serves invocations from its parent over IPC, one at a time.
import { pathToFileURL } from 'node:url';

const [, , bundleFile, exportName] = process.argv;
let handler;
let initError;
try {
  const module = await import(pathToFileURL(bundleFile).href);
  handler = module[exportName] ?? module.default?.[exportName];
  if (typeof handler !== 'function') throw new Error(`Runtime.HandlerNotFound: ${bundleFile} exports no ${exportName}`);
} catch (error) {
  initError = error;
}

const errorOf = (error) => ({
  errorType: error?.name ?? 'Error',
  errorMessage: error?.message ?? String(error),
  trace: String(error?.stack ?? '').split('\n'),
});

let queue = Promise.resolve();
process.on('message', (message) => {
  queue = queue.then(async () => {
    if (initError) {
      process.send({ id: message.id, error: errorOf(initError) });
      return;
    }
    const started = Date.now();
    const context = {
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      awsRequestId: message.id,
      invokedFunctionArn: process.env.STAGELINE_ACCOUNT_FUNCTION_ARN,
      logGroupName: `/aws/lambda/${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
      logStreamName: `emulated/${message.id}`,
      getRemainingTimeInMillis: () => message.timeoutMs - (Date.now() - started),
    };
    try {
      const result = await handler(message.event, context);
      process.send({ id: message.id, result: result === undefined ? null : result });
    } catch (error) {
      console.error(`ERROR\tInvoke Error\t${JSON.stringify(errorOf(error))}`);
      process.send({ id: message.id, error: errorOf(error) });
    }
  });
});
process.send({ ready: true });
