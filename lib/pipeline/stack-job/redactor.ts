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
 * - each line of a multi-line value (command output is relayed line by line);
 * - escaped inside a JSON string, and `\u`-escaped (every character, non-ASCII only in lower or
 *   upper hex, Go's HTML-safe `\u003c`, PHP's `\/`);
 * - base64, standard and URL-safe, padded or not, and the three alignments of the value inside a
 *   longer encoded text (`echo "token=$S" | base64`): the characters that depend on the value alone;
 * - percent-encoded (encodeURIComponent, strict as `jq @uri`, form-encoded with `+` for a space,
 *   lowercase hex, `/` kept as Python's quote does) and HTML-escaped (`&amp; &lt; &gt; &quot;`,
 *   `&#39;` / `&#x27;` / `&apos;` / `&#34;`);
 * - every form `emitYaml` (which writes the manifest file a command provisioner reads, and may
 *   print) can give it: single-quoted, double-quoted with YAML escapes, folded at 80 columns.
 *   Where a fold falls depends on the column the value starts at, so the runner also adds the
 *   exact lines of each secret in the manifest it writes ({@link formsInDocument}).
 * Longer forms are replaced first, so a value containing a shorter one is hidden whole. Derived
 * forms shorter than {@link MIN_DERIVED_FORM} characters are not used (they would blank innocent
 * text); the value itself always is.
 *
 * A value split across lines (`base64 -w 76`, `fold`, a terminal's wrapping) reaches the
 * redactor one line at a time, so on each line it also hides the pieces of any form of at least
 * {@link MIN_FRAGMENT} characters that a wrap leaves: the start of a form ending the line, the
 * end of a form starting it (or following a blank or a quote), and a whole word — or the whole
 * rest of the line — that lies inside a form. A piece shorter than that (the tail of a wrap) may show.
 */
export interface Redactor {
  (text: string): string;
  /** Adds values to hide from now on (empty strings are ignored: there is nothing to hide). */
  add(values: Iterable<string>): void;
  /** Adds texts to hide exactly as given (no derived forms), e.g. {@link formsInDocument}. Blank texts are ignored. */
  addForms(forms: Iterable<string>): void;
}

/** The shortest derived form (encoding) of a value that is redacted; the value itself always is. */
export const MIN_DERIVED_FORM = 6;
/** The shortest piece of a form split across lines that is recognised on a line of its own. */
export const MIN_FRAGMENT = 8;

export function createRedactor(values: Iterable<string> = []): Redactor {
  const needles = new Set<string>();
  let ordered: string[] = [];
  let fragments: FragmentIndex | undefined;

  const redact = ((text: string): string => {
    let out = text;
    for (const needle of ordered) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    if (fragments === undefined) return out;
    const index = fragments;
    return out
      .split(/(\r?\n|\r)/)
      .map((line, position) => (position % 2 === 1 ? line : hideFragments(line, index)))
      .join('');
  }) as Redactor;

  const reorder = () => {
    ordered = [...needles].sort((a, b) => b.length - a.length);
    fragments = indexFragments(ordered.filter((needle) => needle.length > MIN_FRAGMENT));
  };

  redact.add = (more: Iterable<string>) => {
    for (const value of more) {
      for (const form of formsOf(value)) needles.add(form);
    }
    reorder();
  };

  redact.addForms = (forms: Iterable<string>) => {
    for (const form of forms) if (form.trim() !== '') needles.add(form);
    reorder();
  };

  redact.add(values);
  return redact;
}

function formsOf(value: string): string[] {
  if (value === '') return [];
  const forms = [value];
  const derived: string[] = [];
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) forms.push(escaped);
  derived.push(...unicodeEscapedForms(value), ...base64Forms(value), ...percentEncodedForms(value), ...htmlEscapedForms(value));
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r?\n|\r/)) {
      if (line.trim() !== '') forms.push(line);
    }
  }
  // As the only value of a top-level key: `x: <scalar>`, continuation lines indented.
  const [first = '', ...rest] = emitYaml({ x: value }).replace(/\n$/, '').split('\n');
  forms.push(...scalarForms([first.slice('x: '.length), ...rest]));
  forms.push(...derived.filter((form) => form.length >= MIN_DERIVED_FORM));
  return [...new Set(forms)].filter((form) => form !== '' && (form === value || form.trim() !== ''));
}

const hex4 = (code: number) => code.toString(16).padStart(4, '0');
const upperEscapes = (text: string) => text.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`);

/** The value inside a JSON string as `\u` escapes: every character; non-ASCII only; Go's HTML-safe; PHP's (`\/` too). */
function unicodeEscapedForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const every = [...value].map((char) => [...char].map((unit) => `\\u${hex4(unit.charCodeAt(0))}`).join('')).join('');
  // Escape by UTF-16 unit, as JSON does for characters beyond the BMP (a surrogate pair).
  const everyUnit = Array.from({ length: value.length }, (_, index) => `\\u${hex4(value.charCodeAt(index))}`).join('');
  const asciiOnly = json.replace(/[\u007f-\uffff]/g, (char) => `\\u${hex4(char.charCodeAt(0))}`);
  const htmlSafe = json.replace(/[<>&\u2028\u2029]/g, (char) => `\\u${hex4(char.charCodeAt(0))}`);
  const php = asciiOnly.replace(/\//g, '\\/');
  return [every, everyUnit, upperEscapes(everyUnit), asciiOnly, upperEscapes(asciiOnly), htmlSafe, upperEscapes(htmlSafe), php].filter((form) => form !== json);
}

/**
 * Base64 of the value's UTF-8 bytes: standard and URL-safe, with and without padding; and, for the
 * value inside a longer encoded text, at each of the three byte alignments, the characters that
 * depend on the value's bytes alone (the first and last ones mix in the neighbouring bytes).
 */
function base64Forms(value: string): string[] {
  const bytes = new TextEncoder().encode(value);
  const standard = bytesToBase64(bytes);
  const forms = [standard, standard.replace(/=+$/, '')];
  for (let offset = 0; offset < 3; offset++) {
    const shifted = new Uint8Array(offset + bytes.length);
    shifted.set(bytes, offset);
    const encoded = bytesToBase64(shifted).replace(/=+$/, '');
    const skip = [0, 2, 3][offset]!;
    const trailing = shifted.length % 3 === 0 ? 0 : 1;
    forms.push(encoded.slice(skip, encoded.length - trailing));
  }
  return forms.flatMap((form) => [form, form.replace(/\+/g, '-').replace(/\//g, '_')]);
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Percent-encodings: encodeURIComponent; strict (RFC 3986, as `jq @uri`); form-encoded; `+` for a space; lowercase hex; `/` kept. */
function percentEncodedForms(value: string): string[] {
  const component = encodeURIComponent(value);
  const strict = component.replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  const base = [component, strict, form, component.replace(/%2F/g, '/'), strict.replace(/%2F/g, '/')];
  const forms = base.flatMap((encoded) => [encoded, encoded.replace(/%20/g, '+'), encoded.replace(/\+/g, '%20')]);
  return [...forms, ...forms.map((encoded) => encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()))].filter((encoded) => encoded !== value);
}

/** HTML-escaped: `& < >` always, the quotes in each of the spellings common escapers use. */
function htmlEscapedForms(value: string): string[] {
  if (!/[&<>"']/.test(value)) return [];
  const base = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const forms: string[] = [];
  for (const double of ['"', '&quot;', '&#34;', '&#x22;']) {
    for (const single of ["'", '&#39;', '&#x27;', '&apos;', '&#039;']) forms.push(base.replace(/"/g, double).replace(/'/g, single));
  }
  return forms;
}

const FRAGMENT_BOUNDARY = /[\s"'=:,;([{<>]/;

/** Every MIN_FRAGMENT-character piece of every form, with where it occurs: a line is looked up piece by piece, not scanned form by form. */
interface FragmentIndex {
  forms: readonly string[];
  pieces: Map<string, Array<{ form: number; at: number }>>;
}

function indexFragments(forms: readonly string[]): FragmentIndex | undefined {
  if (forms.length === 0) return undefined;
  const pieces = new Map<string, Array<{ form: number; at: number }>>();
  forms.forEach((form, formIndex) => {
    for (let at = 0; at + MIN_FRAGMENT <= form.length; at++) {
      const piece = form.slice(at, at + MIN_FRAGMENT);
      let where = pieces.get(piece);
      if (where === undefined) pieces.set(piece, (where = []));
      where.push({ form: formIndex, at });
    }
  });
  return { forms, pieces };
}

/**
 * On one line: the pieces a wrap leaves of a form (each at least MIN_FRAGMENT characters): the
 * longest start of a form that ends the line, the longest end of a form that starts it (or
 * follows a blank, a quote, `=` or `:`), and a word — or the rest of the line — lying inside a form.
 */
function hideFragments(line: string, index: FragmentIndex): string {
  if (line.length < MIN_FRAGMENT) return line;
  const { forms, pieces } = index;
  let hidden: boolean[] | undefined;
  const hide = (from: number, to: number) => {
    hidden ??= new Array<boolean>(line.length).fill(false);
    for (let position = from; position < to; position++) hidden[position] = true;
  };
  const end = line.replace(/\s+$/, '').length;
  // A form's start ending the line.
  if (end >= MIN_FRAGMENT) {
    let longest = 0;
    for (const { form, at } of pieces.get(line.slice(end - MIN_FRAGMENT, end)) ?? []) {
      const length = at + MIN_FRAGMENT;
      if (length > longest && length <= end && line.endsWith(forms[form]!.slice(0, length), end)) longest = length;
    }
    if (longest > 0) hide(end - longest, end);
  }
  for (let start = 0; start + MIN_FRAGMENT <= end; start++) {
    if (start > 0 && !FRAGMENT_BOUNDARY.test(line[start - 1]!)) continue;
    const where = pieces.get(line.slice(start, start + MIN_FRAGMENT));
    if (where === undefined) continue;
    let reach = 0;
    for (const { form, at } of where) {
      const text = forms[form]!;
      // The form's end starts here, or the rest of the line (or the word) lies inside the form.
      if (line.startsWith(text.slice(at), start)) reach = Math.max(reach, text.length - at);
      else if (text.includes(line.slice(start, end))) reach = Math.max(reach, end - start);
      else {
        const wordEnd = line.slice(start).search(/\s|$/) + start;
        if (wordEnd - start >= MIN_FRAGMENT && text.includes(line.slice(start, wordEnd))) reach = Math.max(reach, wordEnd - start);
      }
    }
    if (reach > 0) hide(start, start + reach);
  }
  if (hidden === undefined) return line;
  const mask = hidden as boolean[];
  let out = '';
  for (let position = 0; position < line.length; position++) {
    if (!mask[position]) out += line[position];
    else if (position === 0 || !mask[position - 1]) out += REDACTED;
  }
  return out;
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
