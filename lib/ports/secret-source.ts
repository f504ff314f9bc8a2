/**
 * Where `$secrets-group/<group>/<key>` references are read: Secrets Manager in AWS (secret
 * `stageline/<org>/<group>` or `stageline/<org>/<env>/<group>`, a JSON object of keys), the
 * git-ignored `.stageline/secrets.yaml` locally.
 *
 * A source answers for exactly one scope and never falls back: the domain
 * (`lib/pipeline/resolve-references.ts`) asks the environment scope first and the organization
 * scope second, so the precedence rule ("an environment-scoped value wins, key by key") lives in
 * one place. Values are returned to the caller only; an implementation never logs them and never
 * puts them into an error message.
 */
export interface SecretSource {
  /** The secret value, or `undefined` when this scope has no such group or key. */
  getSecret(scope: ReferenceScope, group: string, key: string): Promise<string | undefined>;
}

/** `env` undefined = the organization-level scope. */
export interface ReferenceScope {
  org: string;
  env?: string;
}
