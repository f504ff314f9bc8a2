import type { JsonObject } from '../kustomize/json.js';
import { isJsonObject } from '../kustomize/json.js';
import { DotEnvError } from './errors.js';
import { formatPath } from './object-path.js';
import { resolveReferences, type ReferenceSources } from './resolve-references.js';

/** Where a manifest keeps its process environment (OpenMCF container shape). */
const ENV_PATH = ['spec', 'container', 'app', 'env'] as const;

/** POSIX shell variable names: what both `.env` consumers and `export` accept. */
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface DotEnvInput {
  /** The built overlay (references unresolved). */
  manifest: JsonObject;
  /** Names the overlay in messages (`overlay "local"`). */
  source: string;
  org: string;
  /** The scope references resolve in (the manifest's metadata.env, e.g. `local`). */
  env: string;
  sources: ReferenceSources;
  /** `--set K=V` arguments, applied last (add or override). */
  sets?: readonly string[];
}

export interface DotEnvFiles {
  /** Sorted key → value (plaintext: keep in memory, write with mode 0600). */
  entries: Record<string, string>;
  /** `.env`: dotenv syntax, read back identically by `dotenv.parse`. */
  dotEnv: string;
  /** `.env_export`: `export K='v'` lines for `. ./.env_export` in any POSIX shell. */
  envExport: string;
}

/**
 * `stageline dot-env`: takes `spec.container.app.env.variables` and `.secrets` of the built
 * overlay, resolves their references (secrets and variables), applies `--set`, and renders both
 * files. Only the env maps are resolved, so references elsewhere in the overlay need no value.
 */
export async function buildDotEnv(input: DotEnvInput): Promise<DotEnvFiles> {
  const envMaps = extractEnvMaps(input.manifest, input.source);
  const resolved = await resolveReferences(envMaps, { org: input.org, env: input.env, source: input.source }, input.sources);
  const entries = collectEntries(resolved, input.source);
  for (const [key, value] of parseSets(input.sets ?? [])) entries[key] = value;
  return renderDotEnvFiles(entries);
}

/** `K=V` → [K, V]; the value may contain `=` and be empty. Malformed arguments are errors. */
export function parseSets(sets: readonly string[]): Array<[string, string]> {
  return sets.map((set) => {
    const index = set.indexOf('=');
    const key = index === -1 ? '' : set.slice(0, index);
    if (index <= 0 || !ENV_KEY.test(key)) {
      throw new DotEnvError(`--set ${JSON.stringify(set)}: expected KEY=VALUE with KEY made of letters, digits and '_' (not starting with a digit)`);
    }
    return [key, set.slice(index + 1)];
  });
}

/** Renders both files from `entries` (keys sorted); throws DotEnvError for a key or value that cannot be written faithfully. */
export function renderDotEnvFiles(entries: Record<string, string>): DotEnvFiles {
  const keys = Object.keys(entries).sort();
  const sorted: Record<string, string> = {};
  const dotEnv: string[] = [];
  const envExport: string[] = [];
  for (const key of keys) {
    const value = entries[key]!;
    if (!ENV_KEY.test(key)) throw new DotEnvError(`environment variable name ${JSON.stringify(key)}: expected letters, digits and '_', not starting with a digit`);
    if (value.includes('\0')) throw new DotEnvError(`${key}: the value contains a NUL character, which no environment variable can hold`);
    sorted[key] = value;
    dotEnv.push(`${key}=${quoteDotEnv(key, value)}`);
    envExport.push(`export ${key}=${quoteShell(value)}`);
  }
  const header = '# Written by `stageline dot-env`: contains secrets, do not commit.\n';
  return { entries: sorted, dotEnv: header + dotEnv.map((line) => `${line}\n`).join(''), envExport: header + envExport.map((line) => `${line}\n`).join('') };
}

/**
 * Quoting for the `dotenv` parser, which has no general escape: single and backtick quotes are
 * literal but cannot contain their own quote; double quotes turn `\n`/`\r` into newline/CR but
 * cannot contain `"`. A value ending in `\` would escape any closing quote, and a raw CR is
 * normalised away by the parser. So, per value: single quotes if possible, else double quotes
 * (newlines/CRs escaped), else backticks, else unquoted (a plain
 * one-line value ending in `\`); if none round-trips, refuse rather than write a wrong file.
 */
export function quoteDotEnv(key: string, value: string): string {
  const endsWithBackslash = value.endsWith('\\');
  if (!value.includes("'") && !value.includes('\r') && !endsWithBackslash) return `'${value}'`;
  if (!value.includes('"') && !/\\[nr]/.test(value) && !endsWithBackslash) {
    return `"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
  }
  if (!value.includes('`') && !value.includes('\r') && !endsWithBackslash) return `\`${value}\``;
  // Unquoted text is taken as-is up to a `#` or the end of the line, then trimmed.
  if (/^[^\s'"`#][^#\r\n]*$/.test(value) && !/\s$/.test(value)) return value;
  throw new DotEnvError(`${key}: the value cannot be written in dotenv syntax without changing it (it combines quote characters, backslash escapes or a trailing backslash in a way dotenv cannot parse back)`, {
    hint: 'change the value, or pass it another way than .env',
  });
}

/** POSIX single quotes: everything literal; a `'` becomes `'\''`. */
export function quoteShell(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function extractEnvMaps(manifest: JsonObject, source: string): JsonObject {
  let env: unknown = manifest;
  for (const segment of ENV_PATH) env = isJsonObject(env as JsonObject) ? (env as JsonObject)[segment] : undefined;
  const out: JsonObject = {};
  if (env === undefined) return { spec: { container: { app: { env: out } } } };
  if (!isJsonObject(env as JsonObject)) throw new DotEnvError(`${source}: ${formatPath([...ENV_PATH])}: expected a map with variables and secrets`);
  for (const field of ['variables', 'secrets'] as const) {
    const value = (env as JsonObject)[field];
    if (value === undefined || value === null) continue;
    if (!isJsonObject(value)) throw new DotEnvError(`${source}: ${formatPath([...ENV_PATH, field])}: expected a map of NAME: value`);
    out[field] = value;
  }
  return { spec: { container: { app: { env: out } } } };
}

function collectEntries(resolved: JsonObject, source: string): Record<string, string> {
  const env = ((resolved.spec as JsonObject).container as JsonObject).app as JsonObject;
  const maps = env.env as JsonObject;
  const entries: Record<string, string> = {};
  for (const field of ['variables', 'secrets'] as const) {
    const map = maps[field];
    if (!isJsonObject(map)) continue;
    for (const [key, value] of Object.entries(map)) {
      const where = `${source}: ${formatPath([...ENV_PATH, field, key])}`;
      if (!ENV_KEY.test(key)) throw new DotEnvError(`${where}: ${JSON.stringify(key)} is not a valid environment variable name`);
      if (key in entries) throw new DotEnvError(`${where}: ${key} is defined both as a variable and as a secret`);
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') entries[key] = String(value);
      else if (value === null) entries[key] = '';
      else throw new DotEnvError(`${where}: expected a text value, got a ${Array.isArray(value) ? 'list' : 'map'}`);
    }
  }
  return entries;
}
