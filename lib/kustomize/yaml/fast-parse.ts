/**
 * A fast path for the plain block YAML most Kubernetes files are made of: block mappings and
 * sequences, plain and quoted scalars (on one line or several), `|` literal blocks, `{}` / `[]`,
 * comments. Anything else (flow collections, anchors, aliases, tags, merge keys, doubtful
 * continuation lines, folded blocks, tabs, duplicate keys, anything malformed) makes it give up and
 * return undefined, and the caller uses the full `yaml`-package path instead. The `yaml`
 * package costs ~150 µs for a small Deployment; this takes a few µs.
 *
 * Values are resolved exactly like the full path (go-yaml v3 rules, resolvePlainV3), and a
 * test checks both paths agree on every YAML file of the conformance corpus.
 */
import type { JsonObject, JsonValue } from '../json.js';
import { resolvePlainV3 } from './go-scalars.js';
import { markEmpty, markPlain, markQuoted } from './scalar-meta.js';

class Bail {}
const BAIL = new Bail();

interface Line {
  indent: number;
  /** Text after the indentation; '' for blank lines. */
  text: string;
}

/** Decode one document piece, or undefined to ask for the full parser. */
export function fastParsePiece(
  piece: string,
  resolvePlain: (text: string) => JsonValue = resolvePlainV3,
): { value: JsonValue | undefined } | undefined {
  if (piece.indexOf('\t') >= 0 || piece.indexOf('\r') >= 0) return undefined;
  const raw = piece.split('\n');
  const lines: Line[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i]!;
    let n = 0;
    while (n < r.length && r.charCodeAt(n) === 32) n++;
    lines[i] = { indent: n, text: r.slice(n) };
  }
  const p = new FastParser(lines, piece.endsWith('\n'), resolvePlain);
  try {
    return { value: p.document() };
  } catch (e) {
    if (e === BAIL) return undefined;
    throw e;
  }
}

function isStructural(l: Line): boolean {
  return l.text.length > 0 && l.text.charCodeAt(0) !== 35; // not blank, not a comment
}

const PLAIN_START_BAD = new Set(['[', ']', '{', '}', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '#', ',', '?', ':', '-']);

/** Can a plain scalar start here? ('-', '?', ':' only when followed by a non-space.) */
function plainStartOk(text: string): boolean {
  const c = text[0];
  if (c === undefined) return false;
  if (!PLAIN_START_BAD.has(c)) return true;
  if (c === '-' || c === '?' || c === ':') return text.length > 1 && text[1] !== ' ';
  return false;
}

const PLAIN = 1;
const QUOTED = 2;

class FastParser {
  i = 0;
  /** How the last inline value was written (PLAIN, QUOTED, or 0 for collections). */
  style = 0;
  plainText = '';
  constructor(
    private readonly lines: Line[],
    private readonly endsWithNewline: boolean,
    private readonly resolvePlain: (text: string) => JsonValue,
  ) {}

  private skip(): Line | undefined {
    while (this.i < this.lines.length && !isStructural(this.lines[this.i]!)) this.i++;
    return this.lines[this.i];
  }

  document(): JsonValue | undefined {
    let l = this.skip();
    if (l === undefined) return undefined;
    if (l.indent === 0 && (l.text.startsWith('---') || l.text.startsWith('...') || l.text.startsWith('%'))) {
      if (!/^---\s*(#.*)?$/.test(l.text)) throw BAIL;
      this.i++;
      l = this.skip();
      if (l === undefined) return undefined;
    }
    const v = this.block(l.indent);
    if (this.skip() !== undefined) throw BAIL; // trailing content (a less-indented line etc.)
    return v;
  }

  /** A block node whose first line is the current line, at exactly `indent`. */
  private block(indent: number): JsonValue {
    const l = this.lines[this.i]!;
    if (l.indent !== indent) throw BAIL;
    if (isSeqEntry(l.text)) return this.seq(indent);
    if (l.indent === 0 && (l.text.startsWith('---') || l.text.startsWith('...'))) throw BAIL;
    return this.map(indent);
  }

  private seq(indent: number): JsonValue[] {
    const out: JsonValue[] = [];
    for (;;) {
      const l = this.skip();
      if (l === undefined || l.indent < indent) break;
      if (l.indent > indent) throw BAIL;
      if (!isSeqEntry(l.text)) break; // the end of an indentless sequence ("key:\n- a\nnext: b")
      let k = 1;
      while (k < l.text.length && l.text.charCodeAt(k) === 32) k++;
      const rest = l.text.slice(k);
      if (rest === '' || rest.charCodeAt(0) === 35) {
        this.i++;
        out.push(this.nested(indent, false));
      } else if (isSeqEntry(rest) || findMappingColon(rest) >= 0) {
        // "- - x" / "- key: v": continue with the rest as a line of its own.
        this.lines[this.i] = { indent: indent + k, text: rest };
        out.push(this.block(indent + k));
      } else {
        out.push(this.inlineValue(rest, indent));
      }
    }
    return out;
  }

  private map(indent: number): JsonObject {
    const out: JsonObject = {};
    for (;;) {
      const l = this.skip();
      if (l === undefined || l.indent < indent) break;
      if (l.indent > indent || isSeqEntry(l.text)) throw BAIL;
      if (indent === 0 && (l.text.startsWith('---') || l.text.startsWith('...'))) throw BAIL;
      const colon = findMappingColon(l.text);
      if (colon < 0) throw BAIL;
      const key = parseKey(l.text.slice(0, colon));
      if (key === '<<' || key === '__proto__') throw BAIL;
      if (hasOwn(out, key)) throw BAIL; // duplicates: let the full parser apply the policy
      let k = colon + 1;
      while (k < l.text.length && l.text.charCodeAt(k) === 32) k++;
      const rest = l.text.slice(k);
      if (rest === '' || rest.charCodeAt(0) === 35) {
        this.i++;
        const value = this.nested(indent, true);
        out[key] = value;
        if (value === null) markEmpty(out, key);
      } else {
        this.style = 0;
        const value = this.inlineValue(rest, indent);
        out[key] = value;
        if (this.style === QUOTED) markQuoted(out, key);
        else if (this.style === PLAIN && value !== null && value !== this.plainText) markPlain(out, key, this.plainText);
      }
    }
    return out;
  }

  /** The value on the lines after "key:" / "-": a deeper block, an indentless sequence, or null. */
  private nested(parentIndent: number, inMapping: boolean): JsonValue {
    const l = this.skip();
    if (l === undefined) return null;
    if (l.indent > parentIndent) return this.block(l.indent);
    if (inMapping && l.indent === parentIndent && isSeqEntry(l.text)) return this.seq(parentIndent);
    return null;
  }

  /** A scalar (or `{}` / `[]`, or a literal block) written after "key: " or "- ". */
  private inlineValue(rest: string, parentIndent: number): JsonValue {
    const c = rest[0]!;
    let value: JsonValue;
    let after: string;
    if (c === '"' || c === "'" || c === '|') this.style = QUOTED;
    if (c === '"') {
      const r = this.doubleQuotedLines(rest, parentIndent);
      value = r.value;
      after = r.after;
    } else if (c === "'") {
      const r = this.singleQuotedLines(rest, parentIndent);
      value = r.value;
      after = r.after;
    } else if (c === '|') {
      return this.literal(rest, parentIndent);
    } else if (c === '{' || c === '[') {
      const m = /^(\{\s*\}|\[\s*\])\s*(#.*)?$/.exec(rest);
      if (!m) throw BAIL;
      this.i++;
      this.noContinuation(parentIndent);
      return c === '{' ? {} : [];
    } else {
      if (!plainStartOk(rest)) throw BAIL;
      // A plain scalar ends at " #" (comment); ": " inside would be a syntax error.
      let end = rest.length;
      const hash = rest.indexOf(' #');
      if (hash >= 0) end = hash;
      const text = rest.slice(0, end).trimEnd();
      if (text.indexOf(': ') >= 0 || text.endsWith(':')) throw BAIL;
      this.i++;
      const folded = hash < 0 ? this.plainContinuation(text, parentIndent) : text;
      value = this.resolvePlain(folded);
      this.style = PLAIN;
      this.plainText = folded;
      this.noContinuation(parentIndent);
      return value;
    }
    if (after !== '' && !/^\s*(#.*)?$/.test(after)) throw BAIL;
    this.i++;
    this.noContinuation(parentIndent);
    return value;
  }

  /**
   * The continuation lines of a plain scalar (deeper than `parentIndent`), folded as YAML does:
   * one line break is a space, n blank lines are n newlines. Anything on those lines that could
   * be syntax (`: `, ` #`, a leading `- `) is left to the full parser. A comment line ends it.
   */
  private plainContinuation(first: string, parentIndent: number): string {
    let out = first;
    let blanks = 0;
    let j = this.i;
    let end = this.i;
    for (; j < this.lines.length; j++) {
      const l = this.lines[j]!;
      if (l.text === '') {
        blanks++;
        continue;
      }
      if (l.indent <= parentIndent) break;
      const t = l.text;
      if (t.charCodeAt(0) === 35) break;
      if (t.indexOf(': ') >= 0 || t.endsWith(':') || t.indexOf(' #') >= 0 || t.charCodeAt(0) === 45) throw BAIL;
      out += blanks === 0 ? ` ${t.trimEnd()}` : `${'\n'.repeat(blanks)}${t.trimEnd()}`;
      blanks = 0;
      end = j + 1;
    }
    if (end === this.i) return first;
    if (end === this.lines.length && !this.endsWithNewline) throw BAIL;
    this.i = end;
    return out;
  }

  /**
   * A single-quoted scalar, on one line or several. Line breaks fold as in YAML flow scalars
   * (whitespace around a break is dropped; one break is a space, n blank lines are n newlines).
   * Continuation lines must be deeper than `parentIndent`; an empty first or last segment is left
   * to the full parser. On return the current line is the one with the closing quote.
   */
  private singleQuotedLines(rest: string, parentIndent: number): { value: string; after: string } {
    let out = '';
    let blanks = 0;
    let j = this.i;
    let text = rest.slice(1);
    for (let first = true; ; first = false) {
      let segment = '';
      let k = 0;
      let close = -1;
      for (;;) {
        const q = text.indexOf("'", k);
        if (q < 0) {
          segment += text.slice(k);
          break;
        }
        if (text[q + 1] === "'") {
          segment += `${text.slice(k, q)}'`;
          k = q + 2;
          continue;
        }
        segment += text.slice(k, q);
        close = q;
        break;
      }
      if (close < 0) segment = segment.trimEnd();
      if (first) {
        if (close >= 0) {
          this.i = j;
          return { value: segment, after: text.slice(close + 1) };
        }
        if (segment === '') throw BAIL;
        out = segment;
      } else {
        if (segment === '') throw BAIL;
        out += blanks === 0 ? ` ${segment}` : '\n'.repeat(blanks);
        if (blanks > 0) out += segment;
      }
      if (close >= 0) {
        this.i = j;
        return { value: out, after: text.slice(close + 1) };
      }
      blanks = 0;
      for (j++; j < this.lines.length && this.lines[j]!.text === ''; j++) blanks++;
      if (j >= this.lines.length) throw BAIL;
      const next = this.lines[j]!;
      if (next.indent <= parentIndent) throw BAIL;
      text = next.text;
    }
  }

  /**
   * A double-quoted scalar, on one line or several, folded as go-yaml's flow scalar scanner
   * does: spaces before a line break are dropped (escaped ones are content), the next line's
   * indentation is skipped; one break is a space, n blank lines are n newlines, and a `\` at the
   * end of a line joins the lines with nothing (only its blank lines become newlines).
   * Continuation lines must be deeper than `parentIndent`; an empty first line is left to the
   * full parser. On return the current line is the one with the closing quote.
   */
  private doubleQuotedLines(rest: string, parentIndent: number): { value: string; after: string } {
    let line = scanDoubleQuoted(rest, 1);
    if (line.close >= 0) return { value: line.value, after: rest.slice(line.close + 1) };
    if (line.value === '' && !line.escapedBreak) throw BAIL;
    let out = line.value;
    let j = this.i;
    for (;;) {
      let blanks = 0;
      for (j++; j < this.lines.length && this.lines[j]!.text === ''; j++) blanks++;
      if (j >= this.lines.length) throw BAIL;
      const next = this.lines[j]!;
      if (next.indent <= parentIndent) throw BAIL;
      out += line.escapedBreak ? '\n'.repeat(blanks) : blanks === 0 ? ' ' : '\n'.repeat(blanks);
      line = scanDoubleQuoted(next.text, 0);
      out += line.value;
      if (line.close >= 0) {
        this.i = j;
        return { value: out, after: next.text.slice(line.close + 1) };
      }
    }
  }

  /** A deeper line after a one-line scalar would continue it (multi-line scalar): give up. */
  private noContinuation(parentIndent: number): void {
    const l = this.skip();
    if (l !== undefined && l.indent > parentIndent) throw BAIL;
  }

  private literal(header: string, parentIndent: number): string {
    const m = /^\|([1-9])?([-+])?\s*(#.*)?$/.exec(header) ?? /^\|([-+])([1-9])\s*(#.*)?$/.exec(header);
    if (!m) throw BAIL;
    let explicit: number | undefined;
    let chomp = '';
    for (const g of [m[1], m[2]]) {
      if (g === undefined) continue;
      if (g === '-' || g === '+') chomp = g;
      else explicit = Number(g);
    }
    this.i++;
    const start = this.i;
    let contentIndent = explicit !== undefined ? parentIndent + explicit : -1;
    // With auto-detection the first non-blank line sets the indentation; blank lines before it
    // must not be longer (a YAML error) - leave such text to the full parser.
    let maxLeadingBlank = 0;
    let j = start;
    for (; j < this.lines.length; j++) {
      const l = this.lines[j]!;
      if (l.text === '') {
        if (contentIndent < 0) maxLeadingBlank = Math.max(maxLeadingBlank, l.indent);
        else if (l.indent > contentIndent && j < this.lines.length - 1) throw BAIL; // spaces-only content
        continue;
      }
      if (contentIndent < 0) {
        if (l.indent <= parentIndent) break;
        contentIndent = l.indent;
      } else if (l.indent < contentIndent) break;
    }
    // j: first line after the block (or end).
    if (contentIndent < 0) contentIndent = parentIndent + 1; // only blank lines
    if (explicit === undefined && maxLeadingBlank > contentIndent) throw BAIL;
    let end = j;
    if (end === this.lines.length && !this.endsWithNewline) throw BAIL;
    const parts: string[] = [];
    for (let k = start; k < end; k++) {
      const l = this.lines[k]!;
      if (l.text === '') parts.push(l.indent > contentIndent ? ' '.repeat(l.indent - contentIndent) : '');
      else parts.push(' '.repeat(l.indent - contentIndent) + l.text);
    }
    // The final element after the last '\n' of the piece is not a line.
    if (end === this.lines.length) {
      parts.pop();
      end--;
    }
    // Trailing blank lines belong to chomping.
    let lastContent = parts.length - 1;
    while (lastContent >= 0 && parts[lastContent]!.trim() === '' && this.lines[start + lastContent]!.text === '') lastContent--;
    const body = parts.slice(0, lastContent + 1).join('\n');
    this.i = end;
    if (lastContent < 0) {
      // No content lines at all.
      return chomp === '+' ? '\n'.repeat(parts.length) : '';
    }
    if (chomp === '-') return body;
    if (chomp === '+') return body + '\n' + '\n'.repeat(parts.length - 1 - lastContent);
    return body + '\n';
  }
}

const hasOwn = (object: JsonObject, key: string) => Object.prototype.hasOwnProperty.call(object, key);

function isSeqEntry(text: string): boolean {
  return text.charCodeAt(0) === 45 && (text.length === 1 || text.charCodeAt(1) === 32);
}

/** Index of the ':' that ends a one-line implicit key, or -1. */
function findMappingColon(text: string): number {
  const c = text[0];
  if (c === '"' || c === "'") {
    const r = c === '"' ? tryQuoted(parseDoubleQuoted, text) : tryQuoted(parseSingleQuoted, text);
    if (r === undefined) return -1;
    const after = text.length - r.after.length;
    return text[after] === ':' && (after + 1 === text.length || text[after + 1] === ' ') ? after : -1;
  }
  if (!plainStartOk(text)) return -1;
  for (let k = text.indexOf(':'); k >= 0; k = text.indexOf(':', k + 1)) {
    if (k + 1 === text.length || text.charCodeAt(k + 1) === 32) {
      if (text.slice(0, k).indexOf(' #') >= 0) return -1;
      return k;
    }
  }
  return -1;
}

function tryQuoted(f: (s: string) => { value: string; after: string }, s: string): { value: string; after: string } | undefined {
  try {
    return f(s);
  } catch (e) {
    if (e === BAIL) return undefined;
    throw e;
  }
}

function parseKey(text: string): string {
  const c = text[0];
  if (c === '"') return parseDoubleQuoted(text).value;
  if (c === "'") return parseSingleQuoted(text).value;
  const k = text.trimEnd();
  if (k === '') throw BAIL;
  return k;
}

function parseSingleQuoted(s: string): { value: string; after: string } {
  let out = '';
  let k = 1;
  for (;;) {
    const q = s.indexOf("'", k);
    if (q < 0) throw BAIL; // multi-line or unterminated
    out += s.slice(k, q);
    if (s[q + 1] === "'") {
      out += "'";
      k = q + 2;
    } else {
      return { value: out, after: s.slice(q + 1) };
    }
  }
}

const DQ: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029',
};

function parseDoubleQuoted(s: string): { value: string; after: string } {
  const line = scanDoubleQuoted(s, 1);
  if (line.close < 0) throw BAIL; // multi-line or unterminated
  return { value: line.value, after: s.slice(line.close + 1) };
}

/**
 * Double-quoted text from s[k] up to the closing quote (`close`) or the end of the line
 * (`close` -1; the spaces that end it are dropped, as before a line break; `escapedBreak` when
 * the line ends with a `\`).
 */
function scanDoubleQuoted(s: string, k: number): { value: string; close: number; escapedBreak: boolean } {
  let out = '';
  for (;;) {
    const q = s.indexOf('"', k);
    const b = s.indexOf('\\', k);
    if (b < 0 || (q >= 0 && q < b)) {
      if (q >= 0) return { value: out + s.slice(k, q), close: q, escapedBreak: false };
      let end = s.length;
      while (end > k && s.charCodeAt(end - 1) === 32) end--;
      return { value: out + s.slice(k, end), close: -1, escapedBreak: false };
    }
    out += s.slice(k, b);
    if (b === s.length - 1) return { value: out, close: -1, escapedBreak: true };
    const e = s[b + 1]!;
    const simple = DQ[e];
    if (simple !== undefined) {
      out += simple;
      k = b + 2;
      continue;
    }
    const len = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    const hex = s.slice(b + 2, b + 2 + len);
    if (len === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw BAIL;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw BAIL;
    out += String.fromCodePoint(cp);
    k = b + 2 + len;
  }
}
