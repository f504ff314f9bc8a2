/**
 * YAML output, byte-for-byte as `kustomize build` prints one resource.
 *
 * kustomize's `Resource.AsYAML()` is `json.Marshal` followed by sigs.k8s.io/yaml `JSONToYAML`,
 * i.e. go-yaml v2 decodes the JSON into interface{} and marshals it again. So the output is
 * go-yaml v2's encoder (encode.go: key order, which strings get quoted, number formatting) driving
 * its libyaml-derived emitter (emitterc.go: scalar analysis, style fallbacks, folding at 80
 * columns, indentation). This file follows those rules; it is written from reading the Go code,
 * structured as a recursive walk instead of libyaml's event state machine.
 *
 * Numbers: a JS number carries everything the Go pipeline keeps (json.Marshal turns an
 * integral float64 into integer text, which go-yaml then reads back as an int), so plain JS
 * numbers are used for ints and floats alike; see formatNumberLikeKustomize.
 */
import type { JsonValue } from '../json.js';
import { formatNumberLikeKustomize, v2NeedsQuoting } from './go-scalars.js';

const BEST_INDENT = 2;
const BEST_WIDTH = 80;

const enum Style {
  Plain,
  Single,
  Double,
  Literal,
}

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

// Character classes of the libyaml emitter, on code points.
function isBreak(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
}
function isPrintable(c: number): boolean {
  // libyaml's byte-level test: LF, printable ASCII, U+00A0..U+D7FF, U+E000..U+FFFD minus the
  // BOM. Tabs, CR and everything outside the BMP (emoji) are *not* printable.
  return (
    c === 0x0a ||
    (c >= 0x20 && c <= 0x7e) ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff)
  );
}
function isBlankz(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0 || isBreak(c);
}

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i)!;
    out.push(c);
    if (c > 0xffff) i++;
  }
  return out;
}

/** UTF-8 length of a string (a lone surrogate counts as the 3 bytes of its code point). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * libyaml's yaml_emitter_analyze_scalar: which styles can represent this text. It runs on UTF-16
 * code units: a code point outside the BMP (a surrogate pair) is not printable, so it makes the
 * text "special" (double-quoted only), and then the positional checks it may shift do not matter.
 */
function analyzeScalar(v: string): ScalarAnalysis {
  const n = v.length;
  if (n === 0) {
    return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWs = true;
  let prevSpace = false;
  let prevBreak = false;

  if (v.startsWith('---') || v.startsWith('...')) {
    blockIndicators = true; // "---" / "..." would read as document markers
  }
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (i > 0 && c >= 0x30 && c < 0x7f && c !== 0x3a) {
      // Past the first character, digits, letters and most punctuation play no part (the common case).
      prevSpace = false;
      prevBreak = false;
      precededByWs = false;
      continue;
    }
    const next = i + 1 < n ? v.charCodeAt(i + 1) : -1;
    const followedByWs = next === -1 || next === 0x20 || next === 0x09;
    if (i === 0) {
      switch (c) {
        case 0x23: case 0x2c: case 0x5b: case 0x5d: case 0x7b: case 0x7d: case 0x26: case 0x2a:
        case 0x21: case 0x7c: case 0x3e: case 0x27: case 0x22: case 0x25: case 0x40: case 0x60:
          // # , [ ] { } & * ! | > ' " % @ `
          blockIndicators = true;
          break;
        case 0x3f: case 0x3a: // ? :
          if (followedByWs) blockIndicators = true;
          break;
        case 0x2d: // -
          if (followedByWs) blockIndicators = true;
          break;
      }
    } else if (c === 0x3a) {
      if (followedByWs) blockIndicators = true;
    } else if (c === 0x23) {
      if (precededByWs) blockIndicators = true;
    }
    if (!isPrintable(c)) special = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === n - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === n - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    precededByWs = isBlankz(c);
  }
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || special) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
    blockAllowed = false;
  }
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

function hex(c: number, width: number): string {
  return c.toString(16).toUpperCase().padStart(width, '0');
}

const DQ_ESCAPES: Record<number, string> = {
  0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r',
  0x1b: 'e', 0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
};

/**
 * How a string is written (as a key or a value): the same for every occurrence, and keys and
 * many values (`type: string`, image names, label values) recur thousands of times.
 */
interface ScalarForm {
  style: Style;
  an: ScalarAnalysis;
  /** check_simple_key: single-line and at most 128 bytes (else the explicit "? key" form). */
  simple: boolean;
  /** `key:` when, as a simple key, it is written plain: what blockMapping then writes in one piece. */
  plainKey: string | undefined;
}

const NEWLINES_AND_INDENTS: string[] = [];

function newlineAndIndent(indent: number): string {
  return (NEWLINES_AND_INDENTS[indent] ??= `\n${' '.repeat(indent)}`);
}
const scalarForms = new Map<string, ScalarForm>();
const SCALAR_FORMS_CAPACITY = 50_000;

/** Longer strings (descriptions, scripts) seldom recur: analysed each time, not kept. */
const SCALAR_FORMS_MAX_LENGTH = 100;

function scalarForm(text: string): ScalarForm {
  if (text.length > SCALAR_FORMS_MAX_LENGTH) return makeScalarForm(text);
  let form = scalarForms.get(text);
  if (form === undefined) {
    form = makeScalarForm(text);
    if (scalarForms.size >= SCALAR_FORMS_CAPACITY) scalarForms.clear();
    scalarForms.set(text, form);
  }
  return form;
}

function makeScalarForm(text: string): ScalarForm {
  const an = analyzeScalar(text);
  const style = stringStyle(text);
  const simple = !an.multiline && utf8Length(text) <= 128;
  // scalar() with simpleKey: Plain stays Plain when allowed and non-empty.
  const plainKey = simple && style === Style.Plain && an.blockPlainAllowed && text.length > 0 ? `${text}:` : undefined;
  return { style, an, simple, plainKey };
}

/** go-yaml v2 encode.go stringv: literal when multi-line, plain unless it would read back as another type. */
function stringStyle(value: string): Style {
  if (value.indexOf('\n') >= 0) return Style.Literal;
  return v2NeedsQuoting(value) ? Style.Double : Style.Plain;
}

class Emitter {
  out = '';
  column = 0;
  indent = -1;
  indents: number[] = [];
  whitespace = true;
  indention = true;

  private put(s: string): void {
    this.out += s;
    this.column += s.length;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) {
      this.indent = flow ? BEST_INDENT : 0;
    } else if (!indentless) {
      this.indent += BEST_INDENT;
    }
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  writeIndent(): void {
    const indent = this.indent < 0 ? 0 : this.indent;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      // A line break and the indentation in one piece (the most frequent write).
      this.out += newlineAndIndent(indent);
      this.column = indent;
    } else if (this.column < indent) {
      this.out += ' '.repeat(indent - this.column);
      this.column = indent;
    }
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(ind: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(ind);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** Emit any node. `mapping`: a mapping key/value. */
  node(value: JsonValue, mapping: boolean): void {
    if (Array.isArray(value)) {
      if (value.length === 0) this.emptyFlow('[', ']');
      else this.blockSequence(value, mapping);
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length === 0) this.emptyFlow('{', '}');
      else this.blockMapping(value, keys);
    } else if (typeof value === 'string') {
      const form = scalarForm(value);
      this.scalar(value, form.style, form.an, false);
    } else {
      // go-yaml v2's encoder writes null, booleans and numbers as plain scalars.
      const text =
        value === null ? 'null' : typeof value === 'boolean' ? (value ? 'true' : 'false') : typeof value === 'number' ? formatNumberLikeKustomize(value) : value.toString();
      if (typeof value === 'bigint') this.bigInts = true;
      this.scalar(text, Style.Plain, analyzeScalar(text), false);
    }
  }

  /** Whether an integer beyond 2^53 (a bigint) was written. */
  bigInts = false;

  private emptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.increaseIndent(true, false);
    this.popIndent();
    this.writeIndicator(close, false, false, false);
  }

  private blockSequence(items: JsonValue[], mapping: boolean): void {
    // A sequence that is a mapping value is not indented further ("key:\n- a").
    this.increaseIndent(false, mapping && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, false);
    }
    this.popIndent();
  }

  private blockMapping(map: { [k: string]: JsonValue }, keys: string[]): void {
    this.increaseIndent(false, false);
    const sorted = sortKeys(keys);
    for (const key of sorted) {
      this.writeIndent();
      const form = scalarForm(key);
      if (form.plainKey !== undefined) {
        // What scalar() and writeIndicator(':') do for a plain simple key right after an indent
        // (whitespace is true there, so no space goes before it).
        this.out += form.plainKey;
        this.column += form.plainKey.length;
        this.whitespace = false;
        this.indention = false;
      } else if (form.simple) {
        this.scalar(key, form.style, form.an, true);
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.scalar(key, form.style, form.an, false);
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(map[key]!, true);
    }
    this.popIndent();
  }

  private scalar(text: string, requested: Style, an: ScalarAnalysis, simpleKey: boolean): void {
    // yaml_emitter_select_scalar_style (block context, no tags).
    let style = requested;
    if (simpleKey && an.multiline) style = Style.Double;
    if (style === Style.Plain) {
      if (!an.blockPlainAllowed || (text.length === 0 && simpleKey)) style = Style.Single;
    }
    if (style === Style.Single && !an.singleQuotedAllowed) style = Style.Double;
    if (style === Style.Literal && (!an.blockAllowed || simpleKey)) style = Style.Double;

    this.increaseIndent(true, false);
    switch (style) {
      case Style.Plain:
        this.writePlain(text, !simpleKey);
        break;
      case Style.Single:
        this.writeSingleQuoted(text, !simpleKey);
        break;
      case Style.Double:
        this.writeDoubleQuoted(text, !simpleKey);
        break;
      case Style.Literal:
        this.writeLiteral(text);
        break;
    }
    this.popIndent();
  }

  // The writers below follow libyaml character by character, but copy runs of ordinary
  // characters in one piece: `run` is where the text not yet copied to `out` starts, and
  // `column` already counts it. Plain, single-quoted and literal text hold no surrogates (they
  // are not printable, so analyzeScalar sends such text to double quotes): one code unit is
  // one character there.

  private writePlain(v: string, allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    // Fast path: nothing to fold.
    if ((!allowBreaks || this.column + v.length <= BEST_WIDTH + 1 || v.indexOf(' ') < 0) && !hasBreak(v)) {
      this.out += v;
      this.column += v.length;
      this.whitespace = false;
      this.indention = false;
      return;
    }
    let spaces = false;
    let breaks = false;
    let run = 0;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c === 0x20) {
        // Fold at a single space once past the width (the space becomes the line break).
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && v.charCodeAt(i + 1) !== 0x20) {
          this.out += v.slice(run, i);
          run = i + 1;
          this.writeIndent();
        } else {
          this.column++;
        }
        spaces = true;
      } else if (isBreak(c)) {
        this.out += v.slice(run, i);
        run = i + 1;
        if (!breaks && c === 0x0a) this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) {
          this.out += v.slice(run, i);
          run = i;
          this.writeIndent();
        }
        this.column++;
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.out += v.slice(run);
    this.whitespace = false;
    this.indention = false;
  }

  private writeBreak(c: number): void {
    if (c === 0x0a) {
      this.putBreak();
    } else {
      this.out += String.fromCharCode(c);
      this.column = 0;
    }
  }

  private writeSingleQuoted(v: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    let run = 0;
    const n = v.length;
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c === 0x20) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < n - 1 && v.charCodeAt(i + 1) !== 0x20) {
          this.out += v.slice(run, i);
          run = i + 1;
          this.writeIndent();
        } else {
          this.column++;
        }
        spaces = true;
      } else if (isBreak(c)) {
        this.out += v.slice(run, i);
        run = i + 1;
        if (!breaks && c === 0x0a) this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) {
          this.out += v.slice(run, i);
          run = i;
          this.writeIndent();
        }
        if (c === 0x27) {
          // '' for a quote: the quote itself stays in the run, one more is added.
          this.out += v.slice(run, i) + "'";
          run = i;
          this.column += 2;
        } else {
          this.column++;
        }
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.out += v.slice(run);
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(v: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    const n = v.length;
    // libyaml's is_bom() looks at the start of the whole value, so a leading BOM makes it
    // escape every character.
    const bom = n > 0 && v.charCodeAt(0) === 0xfeff;
    let spaces = false;
    let run = 0;
    for (let i = 0; i < n; i++) {
      let c = v.charCodeAt(i);
      let width = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (v.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        c = v.codePointAt(i)!;
        width = 2;
      }
      if (bom || !isPrintable(c) || isBreak(c) || c === 0x22 || c === 0x5c) {
        this.out += v.slice(run, i);
        run = i + width;
        i += width - 1;
        const esc = DQ_ESCAPES[c];
        if (esc !== undefined) this.put('\\' + esc);
        else if (c <= 0xff) this.put('\\x' + hex(c, 2));
        else if (c <= 0xffff) this.put('\\u' + hex(c, 4));
        else this.put('\\U' + hex(c, 8));
        spaces = false;
      } else if (c === 0x20) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < n - 1) {
          this.out += v.slice(run, i);
          run = i + 1;
          this.writeIndent();
          if (v.charCodeAt(i + 1) === 0x20) this.put('\\');
        } else {
          this.column++;
        }
        spaces = true;
      } else {
        this.column++;
        spaces = false;
      }
    }
    this.out += v.slice(run);
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(v: string): void {
    this.writeIndicator('|', true, false, false);
    // Block scalar hints: an explicit indentation indicator when the text starts with a space
    // or break, and the chomping indicator from the trailing line breaks.
    const n = v.length;
    if (n > 0 && (v.charCodeAt(0) === 0x20 || isBreak(v.charCodeAt(0)))) {
      this.writeIndicator(String(BEST_INDENT), false, false, false);
    }
    let chomp = '';
    if (n === 0 || !isBreak(v.charCodeAt(n - 1))) chomp = '-';
    else if (n === 1 || isBreak(v.charCodeAt(n - 2))) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    // Line by line: each non-empty line is indented, then copied whole.
    let breaks = true;
    let start = 0;
    for (let i = 0; i <= n; i++) {
      const c = i < n ? v.charCodeAt(i) : -1;
      if (c !== -1 && !isBreak(c)) continue;
      if (i > start) {
        if (breaks) this.writeIndent();
        this.out += v.slice(start, i);
        this.column += i - start;
        this.indention = false;
        breaks = false;
      }
      if (c === -1) break;
      this.writeBreak(c);
      this.indention = true;
      breaks = true;
      start = i + 1;
    }
  }
}

function hasBreak(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (isBreak(v.charCodeAt(i))) return true;
  return false;
}

// --- key order ----------------------------------------------------------------------------

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

function isLetter(c: number): boolean {
  if (c < 0x80) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return LETTER.test(String.fromCodePoint(c));
}
function isDigit(c: number): boolean {
  if (c < 0x80) return c >= 48 && c <= 57;
  return DIGIT.test(String.fromCodePoint(c));
}

/** int64 accumulation of a digit run, wrapping like Go on overflow. */
function digitRun(a: number[], from: number, start: bigint): { value: bigint; end: number } {
  let v = start;
  let i = from;
  for (; i < a.length && isDigit(a[i]!); i++) v = BigInt.asIntN(64, v * 10n + BigInt(a[i]! - 48));
  return { value: v, end: i };
}

/**
 * go-yaml v2 sorter.go keyList.Less for two string keys: letters sort after non-letters, and
 * runs of digits compare by numeric value ("a2" < "a10").
 */
export function goKeyLess(ar: number[], br: number[]): boolean {
  const n = Math.min(ar.length, br.length);
  for (let i = 0; i < n; i++) {
    const a = ar[i]!;
    const b = br[i]!;
    if (a === b) continue;
    const al = isLetter(a);
    const bl = isLetter(b);
    if (al && bl) return a < b;
    if (al || bl) return bl;
    let start = 0n;
    if (a === 48 || b === 48) {
      // A zero continuing an earlier non-zero digit run is significant.
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== 48) {
          start = 1n;
          break;
        }
      }
    }
    const ra = digitRun(ar, i, start);
    const rb = digitRun(br, i, start);
    if (ra.value !== rb.value) return ra.value < rb.value;
    if (ra.end !== rb.end) return ra.end < rb.end;
    return a < b;
  }
  return ar.length < br.length;
}

function simpleAsciiKey(k: string): boolean {
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c >= 0x80 || (c >= 48 && c <= 57)) return false;
  }
  return true;
}

/** Keys in go-yaml v2 marshal order. */
export function sortKeys(keys: string[]): string[] {
  if (keys.length < 2) return keys;
  if (keys.every(simpleAsciiKey)) {
    // Often already in order (generated CRDs list their properties sorted).
    for (let i = 1; i < keys.length; i++) if (asciiCompare(keys[i - 1]!, keys[i]!) > 0) return [...keys].sort(asciiCompare);
    return keys;
  }
  const entries = keys.map((k) => ({ k, cps: simpleAsciiKey(k) ? undefined : codePoints(k) }));
  entries.sort((x, y) => {
    if (x.cps === undefined && y.cps === undefined) return asciiCompare(x.k, y.k);
    const xc = x.cps ?? codePoints(x.k);
    const yc = y.cps ?? codePoints(y.k);
    return goKeyLess(xc, yc) ? -1 : goKeyLess(yc, xc) ? 1 : 0;
  });
  return entries.map((e) => e.k);
}

/** keyList.Less restricted to ASCII without digits: letters after non-letters, else by code. */
function asciiCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xl = (x >= 65 && x <= 90) || (x >= 97 && x <= 122);
    const yl = (y >= 65 && y <= 90) || (y >= 97 && y <= 122);
    if (xl === yl) return x - y;
    return xl ? 1 : -1;
  }
  return a.length - b.length;
}

/** One resource as `kustomize build` prints it (always ends with a newline). */
export function emitYaml(value: JsonValue): string {
  return emitYamlNoting(value).yaml;
}

/** emitYaml, also saying whether the value held a bigint (an integer beyond 2^53). */
export function emitYamlNoting(value: JsonValue): { yaml: string; bigInts: boolean } {
  const e = new Emitter();
  e.node(value, false);
  // Document end: go-yaml terminates the last line.
  e.writeIndent();
  return { yaml: e.out, bigInts: e.bigInts };
}

/** Several resources joined the way kustomize's ResMap.AsYaml does ("---\n" between them). */
export function emitYamlDocuments(values: JsonValue[]): string {
  return values.map(emitYaml).join('---\n');
}
