// Bundled in place of @aws-sdk/client-lambda for the CLI: the local runtime overrides every Task
// state, so aws-local-stepfunctions never invokes a real Lambda, and loading the SDK cost a
// `deploy --local` about a quarter of a second.
function notAvailable(): never {
  throw new Error('the local runtime runs every Task state locally; calling AWS Lambda is not available');
}

export class LambdaClient {
  constructor() {
    notAvailable();
  }
}

export class InvokeCommand {
  constructor() {
    notAvailable();
  }
}
