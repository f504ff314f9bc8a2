import type { JsonValue } from '../kustomize/json.js';
import { isJsonObject } from '../kustomize/json.js';
import { InvalidReferenceError } from './errors.js';
import { formatPath, type PathSegment } from './object-path.js';

/**
 * References in manifests (DESIGN §5):
 * - `$secrets-group/<group>/<key>`: a secret, resolved just in time by the stack job runner;
 * - `$variables-group/<group>/<key>`: a variable (a literal, or another resource's stack-job output).
 *
 * Rules (docs/domain-decisions.md):
 * - a reference is a whole string value; text around it (`postgres://$secrets-group/db/url`) is an
 *   error rather than a silent half-substitution;
 * - `<group>` and `<key>` are 1–128 characters of letters, digits, `_`, `.` and `-`, starting with a
 *   letter or digit; nothing else may follow the key;
 * - **secret fields**: a secret reference is only allowed where some enclosing map key is named
 *   exactly `secrets` (`spec.container.app.env.secrets.DATABASE_PASSWORD`); anywhere else
 *   (`env.variables`, an annotation…) it would end up in plain text, so it is refused.
 *   Variable references are allowed anywhere.
 */
export type ReferenceType = 'secret' | 'variable';

export interface ReferenceOccurrence {
  type: ReferenceType;
  group: string;
  key: string;
  /** `<group>/<key>`: how plans, approval pages and errors name the reference. */
  name: string;
  /** The reference exactly as written. */
  text: string;
  /** Where it is in the manifest. */
  path: PathSegment[];
}

/** The references of one manifest, names only (`database/password`), sorted and distinct. */
export interface ManifestReferences {
  secrets: string[];
  variables: string[];
}

const PREFIX: Record<string, ReferenceType> = { '$secrets-group/': 'secret', '$variables-group/': 'variable' };
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const SECRET_FIELD = 'secrets';

/** Every reference in `manifest`; throws InvalidReferenceError (naming `source` and the path) on a malformed or misplaced one. */
export function findReferences(manifest: JsonValue, source: string): ReferenceOccurrence[] {
  const found: ReferenceOccurrence[] = [];
  walk(manifest, [], false, (text, path, inSecretField) => {
    const occurrence = parseReference(text, source, path);
    if (!occurrence) return;
    if (occurrence.type === 'secret' && !inSecretField) {
      throw new InvalidReferenceError(`${source}: ${formatPath(path)}: secret reference ${text} in a non-secret field; its value would be stored in plain text`, {
        hint: 'put secret references under a `secrets` map (e.g. spec.container.app.env.secrets), or use a $variables-group reference for non-secret values',
      });
    }
    found.push(occurrence);
  });
  return found;
}

export function summarizeReferences(occurrences: readonly ReferenceOccurrence[]): ManifestReferences {
  const names = (type: ReferenceType) => [...new Set(occurrences.filter((item) => item.type === type).map((item) => item.name))].sort();
  return { secrets: names('secret'), variables: names('variable') };
}

/** The reference in `text`, undefined if `text` is not one; throws if it looks like one but is malformed. */
export function parseReference(text: string, source: string, path: PathSegment[]): ReferenceOccurrence | undefined {
  const prefix = Object.keys(PREFIX).find((candidate) => text.includes(candidate));
  if (!prefix) return undefined;
  const where = `${source}: ${formatPath(path)}`;
  if (!text.startsWith(prefix)) {
    throw new InvalidReferenceError(`${where}: a reference must be the whole value, got text around ${prefix}…`, {
      hint: 'compose the value in the application, or store the whole value as one secret or variable',
    });
  }
  const parts = text.slice(prefix.length).split('/');
  const [group, key] = parts;
  if (parts.length !== 2 || !SEGMENT.test(group!) || !SEGMENT.test(key!)) {
    throw new InvalidReferenceError(`${where}: malformed reference ${JSON.stringify(text)}: expected ${prefix}<group>/<key> (letters, digits, '_', '.', '-')`);
  }
  return { type: PREFIX[prefix]!, group: group!, key: key!, name: `${group}/${key}`, text, path };
}

function walk(value: JsonValue, path: PathSegment[], inSecretField: boolean, visit: (text: string, path: PathSegment[], inSecretField: boolean) => void): void {
  if (typeof value === 'string') visit(value, path, inSecretField);
  else if (Array.isArray(value)) value.forEach((item, index) => walk(item, [...path, index], inSecretField, visit));
  else if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) walk(item, [...path, key], inSecretField || key === SECRET_FIELD, visit);
  }
}
