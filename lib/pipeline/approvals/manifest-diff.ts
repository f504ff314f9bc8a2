import { structuredPatch } from 'diff';
import type { JsonValue } from '../../kustomize/json.js';
import { isJsonObject } from '../../kustomize/json.js';
import { emitYaml } from '../../kustomize/yaml/emit.js';
import { parseYamlDocument } from '../../kustomize/yaml/parse.js';

/**
 * The difference an approver approves: the run's manifest for an environment against the one
 * last deployed there (`deployed/<org>/<env>/<service>.yaml`), as unified-diff lines.
 *
 * Manifests hold references (`$secrets-group/db/password`), never secret values; still, a literal
 * written under a `secrets` map would be a secret in plain text, so both sides are shown with such
 * literals replaced by {@link REDACTED} before they are compared.
 */
export interface ManifestDiff {
  /** `first`: nothing deployed there yet (every line is new); `unchanged`: byte-identical once redacted. */
  kind: 'first' | 'changed' | 'unchanged' | 'unreadable';
  lines: DiffLine[];
  added: number;
  removed: number;
  /** Lines beyond {@link MAX_DIFF_LINES} were left out. */
  truncated: boolean;
}

export interface DiffLine {
  /** `hunk`: an `@@ -a,b +c,d @@` header; `context`: unchanged line shown around a change. */
  type: 'add' | 'remove' | 'context' | 'hunk';
  text: string;
}

export const REDACTED = '(redacted literal value)';
export const MAX_DIFF_LINES = 2000;
const CONTEXT_LINES = 3;
const SECRET_FIELD = 'secrets';
const SECRET_REFERENCE = '$secrets-group/';

export function diffManifests(previous: string | undefined, next: string): ManifestDiff {
  const after = displayable(next);
  const before = previous === undefined ? '' : displayable(previous);
  if (after === undefined || before === undefined) return { kind: 'unreadable', lines: [], added: 0, removed: 0, truncated: false };
  if (previous !== undefined && before === after) return { kind: 'unchanged', lines: [], added: 0, removed: 0, truncated: false };
  const patch = structuredPatch('deployed', 'new', before, after, undefined, undefined, { context: CONTEXT_LINES });
  const lines: DiffLine[] = [];
  let added = 0;
  let removed = 0;
  for (const hunk of patch.hunks) {
    lines.push({ type: 'hunk', text: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@` });
    for (const line of hunk.lines) {
      if (line.startsWith('\\')) continue; // "\ No newline at end of file"
      const type = line[0] === '+' ? 'add' : line[0] === '-' ? 'remove' : 'context';
      if (type === 'add') added++;
      if (type === 'remove') removed++;
      lines.push({ type, text: line.slice(1) });
    }
  }
  const truncated = lines.length > MAX_DIFF_LINES;
  return { kind: previous === undefined ? 'first' : 'changed', lines: truncated ? lines.slice(0, MAX_DIFF_LINES) : lines, added, removed, truncated };
}

/** The manifest as shown: parsed, literals in secret fields redacted, re-emitted (stable key order). */
function displayable(text: string): string | undefined {
  let value: JsonValue | undefined;
  try {
    value = parseYamlDocument(text, 'manifest.yaml');
  } catch {
    return undefined;
  }
  return value === undefined ? '' : emitYaml(redact(value, false));
}

function redact(value: JsonValue, inSecretField: boolean): JsonValue {
  if (Array.isArray(value)) return value.map((item) => redact(item, inSecretField));
  if (isJsonObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redact(item, inSecretField || key === SECRET_FIELD)]));
  }
  if (!inSecretField || value === null) return value;
  return typeof value === 'string' && value.startsWith(SECRET_REFERENCE) ? value : REDACTED;
}
