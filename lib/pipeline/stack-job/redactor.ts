import type { JsonObject, JsonValue } from '../../kustomize/json.js';
import { emitYaml } from '../../kustomize/yaml/emit.js';
import type { PathSegment } from '../object-path.js';

/** The text that replaces a secret value wherever the runner emits text. */
export const REDACTED = '***';

/**
 * Replaces every known secret value in a text with `***`. The stack-job runner passes every line
 * it emits (its own log lines, the provisioner's relayed command output, failure messages, the
 * summary and outputs it stores) through one of these.
 *
 * Besides each value as is, it redacts the forms in which a value commonly reappears in output:
 * each line of a multi-line value (command output is relayed line by line) and the value as
 * escaped inside a JSON string, and every form `emitYaml` (which writes the manifest file a
 * command provisioner reads, and may print) can give it: single-quoted with `'` doubled,
 * double-quoted with YAML escapes, folded across lines at 80 columns — the whole scalar text and
 * each of its lines. Where a fold falls depends on the column the value starts at, so the runner
 * also adds the exact lines of each secret in the manifest it writes ({@link formsInDocument}).
 * Longer values are replaced first, so a value containing a shorter one is hidden whole.
 */
export interface Redactor {
  (text: string): string;
  /** Adds values to hide from now on (empty strings are ignored: there is nothing to hide). */
  add(values: Iterable<string>): void;
  /** Adds texts to hide exactly as given (no derived forms), e.g. {@link formsInDocument}. Blank texts are ignored. */
  addForms(forms: Iterable<string>): void;
}

export function createRedactor(values: Iterable<string> = []): Redactor {
  const needles = new Set<string>();
  let ordered: string[] = [];

  const redact = ((text: string): string => {
    let out = text;
    for (const needle of ordered) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  }) as Redactor;

  redact.add = (more: Iterable<string>) => {
    for (const value of more) {
      for (const form of formsOf(value)) needles.add(form);
    }
    ordered = [...needles].sort((a, b) => b.length - a.length);
  };

  redact.addForms = (forms: Iterable<string>) => {
    for (const form of forms) if (form.trim() !== '') needles.add(form);
    ordered = [...needles].sort((a, b) => b.length - a.length);
  };

  redact.add(values);
  return redact;
}

function formsOf(value: string): string[] {
  if (value === '') return [];
  const forms = [value];
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) forms.push(escaped);
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r?\n|\r/)) {
      if (line.trim() !== '') forms.push(line);
    }
  }
  // As the only value of a top-level key: `x: <scalar>`, continuation lines indented.
  const [first = '', ...rest] = emitYaml({ x: value }).replace(/\n$/, '').split('\n');
  forms.push(...scalarForms([first.slice('x: '.length), ...rest]));
  return [...new Set(forms)].filter((form) => form !== '');
}

/**
 * The forms of the string at `path` exactly as `emitYaml(document)` writes it: its lines are the
 * ones that change when that value is replaced by `""` (emitYaml writes each scalar on its own,
 * so nothing else moves); the first one loses what it shares with its replacement (indentation,
 * key, an opening quote).
 */
export function formsInDocument(document: JsonObject, path: readonly PathSegment[]): string[] {
  if (path.length === 0) return [];
  const actual = emitYaml(document).split('\n');
  const blanked = structuredClone(document);
  let parent: JsonValue = blanked;
  for (const segment of path.slice(0, -1)) parent = (parent as Record<PathSegment, JsonValue>)[segment]!;
  (parent as Record<PathSegment, JsonValue>)[path[path.length - 1]!] = '';
  const other = emitYaml(blanked).split('\n');

  let start = 0;
  while (start < actual.length && start < other.length && actual[start] === other[start]) start++;
  let endActual = actual.length;
  let endOther = other.length;
  while (endActual > start && endOther > start && actual[endActual - 1] === other[endOther - 1]) {
    endActual--;
    endOther--;
  }
  const lines = actual.slice(start, endActual);
  if (lines.length === 0) return [];
  const reference = other[start] ?? '';
  let shared = 0;
  while (shared < lines[0]!.length && shared < reference.length && lines[0]![shared] === reference[shared]) shared++;
  lines[0] = lines[0]!.slice(shared);
  return scalarForms(lines);
}

/** A block scalar's header line, or a lone quote / backslash: YAML syntax, not part of the value. */
const SYNTAX_ONLY = /^(?:[|>][-+]?\d*|['"\\]+)$/;

/** An emitted scalar's lines (the first without its key): the whole text without indentation, and each meaningful line. */
function scalarForms(lines: string[]): string[] {
  const trimmed = lines.map((line) => line.trim());
  const forms = [trimmed.join('\n')];
  for (const line of trimmed) if (line !== '' && !SYNTAX_ONLY.test(line)) forms.push(line);
  return forms.filter((form) => form.trim() !== '' && !SYNTAX_ONLY.test(form));
}
