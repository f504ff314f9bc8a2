import { ConfigError } from '../../errors.js';

/**
 * A required environment variable of a Lambda function (set by the DeploymentStage stack). Read at
 * module scope, so a missing one fails the cold start with a message naming it.
 */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`environment variable ${name} is not set`, { hint: 'the DeploymentStage stack sets it on every Stageline function; redeploy the stack' });
  }
  return value;
}

export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}
