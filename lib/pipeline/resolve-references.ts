import * as z from 'zod/mini';
import type { JsonObject, JsonValue } from '../kustomize/json.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { ReferenceScope, SecretSource } from '../ports/secret-source.js';
import type { VariableSource } from '../ports/variable-source.js';
import { safeParse } from './config/zod.js';
import { UnresolvedReferenceError } from './errors.js';
import { formatPath, type PathSegment } from './object-path.js';
import { findReferences, type ReferenceOccurrence } from './references.js';

export interface ReferenceSources {
  secrets: SecretSource;
  variables: VariableSource;
  /** Where `valueFrom` variables read stack-job outputs (`outputs/<org>/<env>/<kind>/<name>.json`). */
  outputs: ArtifactStore;
}

export interface ReferenceContext {
  org: string;
  /** The environment being deployed: its scope wins over the organization scope, key by key. */
  env: string;
  /** Names the manifest in error messages (`overlay "dev"`). */
  source: string;
}

/** A variable that reads another resource's recorded stack-job outputs. `env` defaults to the deploying environment. */
const valueFromSchema = z.strictObject({
  valueFrom: z.strictObject({
    kind: z.string().check(z.minLength(1)),
    env: z.optional(z.string().check(z.minLength(1))),
    name: z.string().check(z.minLength(1)),
    fieldPath: z.string().check(z.minLength(1)),
  }),
});

/**
 * Returns a copy of `manifest` with every reference replaced by its value (a string). Secrets come
 * from `sources.secrets`, variables from `sources.variables` (literals, or `valueFrom` outputs in
 * the store); for each reference the environment scope is asked first, then the organization
 * scope. Any reference without a value fails the whole resolution, before anything uses it.
 *
 * Errors name the manifest, the path and the reference, never a value.
 */
export async function resolveReferences(manifest: JsonObject, context: ReferenceContext, sources: ReferenceSources): Promise<JsonObject> {
  const occurrences = findReferences(manifest, context.source);
  const cache = new Map<string, Promise<Located>>();
  const located = await Promise.all(occurrences.map((occurrence) => locateCached(cache, occurrence, context, sources)));
  const resolved = structuredClone(manifest);
  occurrences.forEach((occurrence, index) => setAt(resolved, occurrence.path, located[index]!.value));
  return resolved;
}

/** One distinct reference of a manifest, as `stageline check` reports it: where it was found, or why it was not. Never its value. */
export interface ReferenceFinding {
  type: 'secret' | 'variable';
  name: string;
  /** Where it occurs in the manifest (`spec.container.app.env.secrets.DB`), each occurrence. */
  paths: string[];
  /** `environment app-dev`, `organization acme`, or the outputs key a `valueFrom` variable read. Absent when not found. */
  foundIn?: string;
  /** Why it has no value (the message `deploy` would fail with). Absent when found. */
  problem?: string;
  hint?: string;
}

/**
 * Looks up every reference of `manifest` exactly as {@link resolveReferences} does, but reports
 * each (found where, or the reason it is not) instead of stopping at the first missing one.
 * The values are read and dropped: a finding never carries one.
 */
export async function checkReferences(manifest: JsonObject, context: ReferenceContext, sources: ReferenceSources): Promise<ReferenceFinding[]> {
  const occurrences = findReferences(manifest, context.source);
  const cache = new Map<string, Promise<Located>>();
  const byName = new Map<string, ReferenceFinding>();
  for (const occurrence of occurrences) {
    const id = `${occurrence.type}:${occurrence.name}`;
    const finding = byName.get(id) ?? { type: occurrence.type, name: occurrence.name, paths: [] };
    finding.paths.push(formatPath(occurrence.path));
    if (!byName.has(id)) {
      byName.set(id, finding);
      try {
        finding.foundIn = (await locateCached(cache, occurrence, context, sources)).foundIn;
      } catch (error) {
        if (!(error instanceof UnresolvedReferenceError)) throw error;
        finding.problem = error.message;
        if (error.hint) finding.hint = error.hint;
      }
    }
  }
  return [...byName.values()].sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
}

/** A reference's value and where it came from. */
interface Located {
  value: string;
  foundIn: string;
}

function locateCached(cache: Map<string, Promise<Located>>, occurrence: ReferenceOccurrence, context: ReferenceContext, sources: ReferenceSources): Promise<Located> {
  const cacheKey = `${occurrence.type}:${occurrence.name}`;
  let located = cache.get(cacheKey);
  if (!located) {
    located = occurrence.type === 'secret' ? resolveSecret(occurrence, context, sources) : resolveVariable(occurrence, context, sources);
    cache.set(cacheKey, located);
  }
  return located;
}

async function resolveSecret(occurrence: ReferenceOccurrence, context: ReferenceContext, sources: ReferenceSources): Promise<Located> {
  for (const scope of scopes(context)) {
    const value = await sources.secrets.getSecret(scope, occurrence.group, occurrence.key);
    if (value !== undefined) return { value, foundIn: scopeName(scope) };
  }
  throw notFound(occurrence, context, 'secret');
}

async function resolveVariable(occurrence: ReferenceOccurrence, context: ReferenceContext, sources: ReferenceSources): Promise<Located> {
  for (const scope of scopes(context)) {
    const raw = await sources.variables.getVariable(scope, occurrence.group, occurrence.key);
    if (raw === undefined) continue;
    const where = `${where0(occurrence, context)}: variable ${occurrence.name} (${scopeName(scope)})`;
    if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return { value: String(raw), foundIn: scopeName(scope) };
    const parsed = safeParse(valueFromSchema, raw);
    if (!parsed.success) {
      throw new UnresolvedReferenceError(`${where}: expected a literal or { valueFrom: { kind, env, name, fieldPath } }`);
    }
    return readOutput(parsed.data.valueFrom, where, context, sources.outputs);
  }
  throw notFound(occurrence, context, 'variable');
}

async function readOutput(
  from: { kind: string; env?: string | undefined; name: string; fieldPath: string },
  where: string,
  context: ReferenceContext,
  store: ArtifactStore,
): Promise<Located> {
  const key = `outputs/${context.org}/${from.env ?? context.env}/${from.kind}/${from.name}.json`;
  const object = await store.get(key);
  if (!object) {
    throw new UnresolvedReferenceError(`${where}: reads ${key}, which does not exist`, {
      hint: `deploy ${from.kind} ${from.name} to ${from.env ?? context.env} first (its stack job records the outputs)`,
    });
  }
  let outputs: unknown;
  try {
    outputs = JSON.parse(object.body);
  } catch {
    throw new UnresolvedReferenceError(`${where}: ${key} is not valid JSON`);
  }
  let current: unknown = outputs;
  for (const segment of from.fieldPath.split('.')) {
    current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[segment] : undefined;
  }
  if (typeof current === 'string' || typeof current === 'number' || typeof current === 'boolean') return { value: String(current), foundIn: `${key} field ${from.fieldPath}` };
  throw new UnresolvedReferenceError(`${where}: ${key} has no text at fieldPath ${from.fieldPath}`);
}

function scopes(context: ReferenceContext): ReferenceScope[] {
  return [{ org: context.org, env: context.env }, { org: context.org }];
}

function scopeName(scope: ReferenceScope): string {
  return scope.env ? `environment ${scope.env}` : `organization ${scope.org}`;
}

function where0(occurrence: ReferenceOccurrence, context: ReferenceContext): string {
  return `${context.source}: ${formatPath(occurrence.path)}`;
}

function notFound(occurrence: ReferenceOccurrence, context: ReferenceContext, type: 'secret' | 'variable'): UnresolvedReferenceError {
  return new UnresolvedReferenceError(
    `${where0(occurrence, context)}: ${type} ${occurrence.name} (${occurrence.text}) has no value in environment ${context.env} nor at organization level`,
    { hint: `define ${type === 'secret' ? 'secret' : 'variable'} group "${occurrence.group}" key "${occurrence.key}" for ${context.org}` },
  );
}

function setAt(root: JsonObject, path: PathSegment[], value: JsonValue): void {
  let current: JsonValue = root;
  for (const segment of path.slice(0, -1)) current = (current as Record<PathSegment, JsonValue>)[segment]!;
  (current as Record<PathSegment, JsonValue>)[path[path.length - 1]!] = value;
}
