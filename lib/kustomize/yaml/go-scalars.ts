/**
 * Scalar-level rules shared by the emitter and the parser: how go-yaml (v2 for output, v3 for
 * input) decides whether a plain scalar is a string, a number, a bool, null or a timestamp, and
 * how Go formats numbers. Only the rules are reproduced here, written from the Go sources
 * (go-yaml resolve.go, Go strconv / encoding/json / time), not transliterated.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go `strconv.ParseInt(s, 0, 64)` / `ParseUint(s, 0, 64)` syntax (no underscores: callers strip them). */
const GO_INT_BASE0 = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;

/** The float shape go-yaml accepts for plain scalars starting with a digit or sign. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** go-yaml's base-60 check (YAML 1.1 sexagesimal), used only to force quoting on output. */
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function bigOf(sign: string, body: string): bigint {
  let v: bigint;
  const p = body.length > 1 ? body[1] : '';
  if (p === 'x' || p === 'X' || p === 'o' || p === 'O' || p === 'b' || p === 'B') {
    v = BigInt('0' + p.toLowerCase() + body.slice(2));
  } else if (body.length > 1 && body[0] === '0') {
    v = BigInt('0o' + body.slice(1)); // legacy leading-zero octal
  } else {
    v = BigInt(body);
  }
  return sign === '-' ? -v : v;
}

/**
 * Integer value of `plain` under Go's base-0 ParseInt (int64) then ParseUint (uint64), or
 * undefined when neither accepts it (bad syntax or out of range).
 */
export function goParseIntBase0(plain: string): bigint | undefined {
  const m = GO_INT_BASE0.exec(plain);
  if (!m) return undefined;
  const sign = m[1]!;
  const v = bigOf(sign, m[2]!);
  if (v >= INT64_MIN && v <= INT64_MAX) return v;
  if (sign === '' && v >= 0n && v <= UINT64_MAX) return v;
  return undefined;
}

/** Go `strconv.ParseFloat(s, 64)` success for strings starting with '.' (decimal forms only). */
function goParseFloatDotOk(s: string): boolean {
  // Underscores are accepted by Go only between digits.
  if (!/^\.[0-9](_?[0-9])*([eE][+-]?[0-9](_?[0-9])*)?$/.test(s)) return false;
  return Number.isFinite(Number(s.replace(/_/g, '')));
}

const V2_RESOLVE_MAP = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON',
  'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF',
  '', '~', 'null', 'Null', 'NULL',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF',
]);

/**
 * True when go-yaml v2 would resolve the unquoted text `s` to something other than a string.
 * The encoder then double-quotes it (encode.go stringv), and also does so for base-60 numbers.
 */
export function v2NeedsQuoting(s: string): boolean {
  if (s === '') return true;
  const c = s.charCodeAt(0);
  const isDigit = c >= 48 && c <= 57;
  const isSign = c === 43 || c === 45;
  if (!isDigit && !isSign && c !== 46 && 'yYnNtTfFoO~'.indexOf(s[0]!) < 0) return false;
  if (V2_RESOLVE_MAP.has(s)) return true;
  if (c === 46) return goParseFloatDotOk(s);
  if (!isDigit && !isSign) return false;
  // From here on: a digit or sign start (hint 'D' / 'S').
  if (BASE60_FLOAT.test(s)) return true;
  if (parseGoTimestamp(s) !== undefined) return true;
  return resolvesAsNumber(s);
}

/** The int / float part of go-yaml's resolver for a plain scalar starting with a digit or sign. */
function resolvesAsNumber(s: string): boolean {
  const plain = s.indexOf('_') >= 0 ? s.replace(/_/g, '') : s;
  if (goParseIntBase0(plain) !== undefined) return true;
  if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return true;
  if (plain.startsWith('0b')) {
    // go-yaml retries the digits after "0b" with an explicit base 2 (which then allows a sign).
    const m = /^([+-]?)([01]+)$/.exec(plain.slice(2));
    if (m) {
      const v = BigInt('0b' + m[2]) * (m[1] === '-' ? -1n : 1n);
      if (v >= INT64_MIN && v <= UINT64_MAX) return true;
    }
  } else if (plain.startsWith('-0b')) {
    const m = /^[01]+$/.exec(plain.slice(3));
    if (m && -BigInt('0b' + m[0]) >= INT64_MIN) return true;
  }
  return false;
}

const V2_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const V2_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

/**
 * go-yaml v2 (YAML 1.1) resolution of a plain scalar, as sigs.k8s.io/yaml reads a kustomization
 * file: `yes`/`on`/`y` are booleans there. Numbers and timestamps resolve as in v3 (a timestamp
 * becomes its JSON string, as YAMLToJSON does).
 */
export function resolvePlainV2(s: string): string | number | bigint | boolean | null {
  if (!v2NeedsQuoting(s)) return s;
  if (V2_TRUE.has(s)) return true;
  if (V2_FALSE.has(s)) return false;
  if (BASE60_FLOAT.test(s)) return s;
  return resolvePlainV3(s);
}

/** go-yaml v3 resolution of a plain scalar into the value kustomize ends up serialising. */
export function resolvePlainV3(s: string): string | number | bigint | boolean | null {
  switch (s) {
    case '': case '~': case 'null': case 'Null': case 'NULL':
      return null;
    case 'true': case 'True': case 'TRUE':
      return true;
    case 'false': case 'False': case 'FALSE':
      return false;
    case '.nan': case '.NaN': case '.NAN':
      return NaN;
    case '.inf': case '.Inf': case '.INF': case '+.inf': case '+.Inf': case '+.INF':
      return Infinity;
    case '-.inf': case '-.Inf': case '-.INF':
      return -Infinity;
  }
  const c = s.charCodeAt(0);
  if (c === 46) {
    return goParseFloatDotOk(s) ? Number(s.replace(/_/g, '')) : s;
  }
  const isDigit = c >= 48 && c <= 57;
  if (!isDigit && c !== 43 && c !== 45) return s;
  const ts = parseGoTimestamp(s);
  if (ts !== undefined) return ts; // a time.Time, which encoding/json prints as RFC 3339
  const plain = s.indexOf('_') >= 0 ? s.replace(/_/g, '') : s;
  const i = goParseIntBase0(plain);
  if (i !== undefined) return exactInteger(i);
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = Number(plain);
    if (Number.isFinite(f)) return f;
  }
  if (plain.startsWith('0b')) {
    const m = /^([+-]?)([01]+)$/.exec(plain.slice(2));
    if (m) {
      const v = BigInt('0b' + m[2]) * (m[1] === '-' ? -1n : 1n);
      if (v >= INT64_MIN && v <= UINT64_MAX) return exactInteger(v);
    }
  } else if (plain.startsWith('-0b')) {
    const m = /^[01]+$/.exec(plain.slice(3));
    if (m && -BigInt('0b' + m[0]) >= INT64_MIN) return exactInteger(-BigInt('0b' + m[0]));
  } else if (plain.startsWith('0o')) {
    const m = /^[0-7]+$/.exec(plain.slice(2));
    if (m && BigInt('0o' + m[0]) <= INT64_MAX) return exactInteger(BigInt('0o' + m[0]));
  } else if (plain.startsWith('-0o')) {
    const m = /^[0-7]+$/.exec(plain.slice(3));
    if (m && -BigInt('0o' + m[0]) >= INT64_MIN) return exactInteger(-BigInt('0o' + m[0]));
  }
  return s;
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** A Go int64/uint64 as a JS value: a number while exact, else the bigint (every digit kept). */
export function exactInteger(v: bigint): number | bigint {
  return v <= SAFE_MAX && v >= -SAFE_MAX ? Number(v) : v;
}

// --- timestamps ---------------------------------------------------------------------------

const TS_DATETIME =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:([Tt ])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})?)?$/;

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/**
 * go-yaml's timestamp check (the four `time.Parse` layouts it tries). Returns the value as Go's
 * encoding/json prints a time.Time (RFC 3339 with nanoseconds, trailing zeros trimmed), or
 * undefined when `s` is not a timestamp.
 */
export function parseGoTimestamp(s: string): string | undefined {
  // Quick check, as go-yaml does: exactly four digits, then '-'.
  if (s.length < 5 || s.charCodeAt(4) !== 45) return undefined;
  const m = TS_DATETIME.exec(s);
  if (!m) return undefined;
  const year = +m[1]!, month = +m[2]!, day = +m[3]!;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return undefined;
  const date = `${m[1]}-${pad2(month)}-${pad2(day)}`;
  const sep = m[4];
  if (sep === undefined) return `${date}T00:00:00Z`;
  const tz = m[9];
  // "T"/"t" layouts require a zone; the space layout forbids one.
  if ((sep === ' ') !== (tz === undefined)) return undefined;
  const hh = +m[5]!, mi = +m[6]!, ss = +m[7]!;
  if (hh > 23 || mi > 59 || ss > 59) return undefined;
  let frac = m[8] ? m[8].slice(0, 9).replace(/0+$/, '') : '';
  if (frac) frac = '.' + frac;
  let zone = 'Z';
  if (tz && tz !== 'Z') {
    const oh = +tz.slice(1, 3), om = +tz.slice(4, 6);
    if (oh > 24 || om > 59) return undefined;
    zone = oh === 0 && om === 0 ? 'Z' : tz;
  }
  return `${date}T${pad2(hh)}:${pad2(mi)}:${pad2(ss)}${frac}${zone}`;
}

// --- numbers ------------------------------------------------------------------------------

/** Go `strconv.FormatFloat(f, 'g', -1, 64)`: shortest digits, %e when exp < -4 || exp >= 6. */
export function goFormatFloatG(f: number): string {
  if (Number.isNaN(f)) return '.nan';
  if (f === Infinity) return '.inf';
  if (f === -Infinity) return '-.inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const e = f.toExponential(); // shortest round-trip digits, like Go's shortest mode
  const k = e.indexOf('e');
  const exp = Number(e.slice(k + 1));
  // For the shortest format Go decides %e vs %f with precision 6 (strconv/ftoa.go), which is
  // why go-yaml prints 1234567.5 as 1.2345675e+06.
  if (exp < -4 || exp >= 6) {
    const mant = e.slice(0, k);
    const a = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${a < 10 ? '0' : ''}${a}`;
  }
  return String(f);
}

/**
 * How a number comes out of kustomize's `AsYAML` (encoding/json, then go-yaml v2 re-reads the
 * JSON text and marshals it): integral values that fit int64/uint64 print as integers, all
 * others through Go's %g. So `1.0` prints `1` and JS numbers need no int/float marker.
 */
export function formatNumberLikeKustomize(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) {
    // encoding/json writes these with 'f' (shortest digits, zero padded) - same as JS String().
    const s = String(n === 0 ? 0 : n);
    if (Math.abs(n) <= Number.MAX_SAFE_INTEGER) return s;
    const b = BigInt(s);
    if (b >= INT64_MIN && b <= UINT64_MAX) return s;
  }
  return goFormatFloatG(n);
}

export { BASE60_FLOAT };
