/**
 * Reading AWS SDK v3 errors without importing `@smithy/*` (the SDK is external to the Lambda
 * bundles, so nothing from it may be bundled by accident): a service error carries its code as
 * `name` and the HTTP status in `$metadata.httpStatusCode`.
 */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { name?: unknown; Code?: unknown; code?: unknown };
  for (const value of [candidate.name, candidate.Code, candidate.code]) {
    if (typeof value === 'string' && value !== 'Error') return value;
  }
  return undefined;
}

export function awsHttpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isAwsError(error: unknown, ...names: string[]): boolean {
  const name = awsErrorName(error);
  return name !== undefined && names.includes(name);
}
