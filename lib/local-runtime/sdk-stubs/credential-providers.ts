// Bundled in place of @aws-sdk/credential-providers for the CLI (see client-lambda.ts).
export function fromCognitoIdentityPool(): never {
  throw new Error('the local runtime runs every Task state locally; AWS credentials are not used');
}
