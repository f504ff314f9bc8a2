import { GetParameterCommand, SSMClient, type Parameter } from '@aws-sdk/client-ssm';
import type { ReferenceScope } from '../../ports/secret-source.js';
import type { VariableSource } from '../../ports/variable-source.js';
import { StagelineError } from '../../errors.js';
import { isAwsError } from './aws-errors.js';

/** `/stageline/<org>/variables/<group>/<key>` or `/stageline/<org>/<env>/variables/<group>/<key>`. */
export function parameterNameFor(scope: ReferenceScope, group: string, key: string): string {
  return scope.env === undefined ? `/stageline/${scope.org}/variables/${group}/${key}` : `/stageline/${scope.org}/${scope.env}/variables/${group}/${key}`;
}

/**
 * VariableSource over SSM Parameter Store: one parameter per variable and scope, a String (or
 * StringList). Variables are not secret — they are never masked, and end up in plans and logs —
 * so a SecureString parameter is refused (naming it, never its value) and never decrypted;
 * secrets belong in Secrets Manager behind a `$secrets-group` reference. The value is a literal,
 * or a JSON object `{ "valueFrom": { kind, env?, name, fieldPath } }` naming another resource's
 * stack-job outputs: a value that parses as a JSON object is returned as that object (the domain
 * validates it), anything else as the string.
 * A missing parameter is `undefined`. Each parameter is read once per instance (one job).
 */
export class SsmVariableSource implements VariableSource {
  private readonly client: SSMClient;
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(options: { client?: SSMClient } = {}) {
    this.client = options.client ?? new SSMClient({});
  }

  getVariable(scope: ReferenceScope, group: string, key: string): Promise<unknown> {
    const name = parameterNameFor(scope, group, key);
    let entry = this.cache.get(name);
    if (!entry) {
      entry = this.load(name);
      this.cache.set(name, entry);
    }
    return entry;
  }

  private async load(name: string): Promise<unknown> {
    let parameter: Parameter | undefined;
    try {
      // Never decrypted: a SecureString is refused below, its plaintext never enters this process.
      parameter = (await this.client.send(new GetParameterCommand({ Name: name, WithDecryption: false }))).Parameter;
    } catch (error) {
      if (isAwsError(error, 'ParameterNotFound')) return undefined;
      throw error;
    }
    if (parameter?.Type === 'SecureString') {
      throw new StagelineError('VARIABLE_IS_SECURE_STRING', `parameter ${name} is a SecureString: variables are not secret; use a $secrets-group reference`, {
        hint: 'put the value in Secrets Manager and reference it from a `secrets` field, or make the parameter a String',
      });
    }
    const value = parameter?.Value;
    if (value === undefined) return undefined;
    if (value.trimStart().startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
      } catch {
        // Not JSON: a literal that happens to start with "{".
      }
    }
    return value;
  }
}
