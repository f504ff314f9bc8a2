import { describe, expect, it } from 'vitest';
import { emitYaml, emitYamlDocuments, sortKeys } from '../../../../lib/kustomize/yaml/emit.js';

const v = (value: unknown) => emitYaml({ v: value as never });

describe('emitYaml: structure', () => {
  it('block style, 2-space indent, sequences in mappings not indented', () => {
    expect(emitYaml({ a: { b: [1, { c: 'd', e: ['f'] }], g: [[1, 2], []] } })).toBe(
      'a:\n  b:\n  - 1\n  - c: d\n    e:\n    - f\n  g:\n  - - 1\n    - 2\n  - []\n',
    );
  });
  it('empty collections are flow style', () => {
    expect(emitYaml({ a: {}, b: [], c: [{}] })).toBe('a: {}\nb: []\nc:\n- {}\n');
    expect(emitYaml({})).toBe('{}\n');
    expect(emitYaml([])).toBe('[]\n');
  });
  it('root sequence and root scalars', () => {
    expect(emitYaml(['a', ['b']])).toBe('- a\n- - b\n');
    expect(emitYaml('x')).toBe('x\n');
    expect(emitYaml(null)).toBe('null\n');
  });
  it('joins documents like ResMap.AsYaml', () => {
    expect(emitYamlDocuments([{ a: 1 }, { b: 2 }])).toBe('a: 1\n---\nb: 2\n');
    expect(emitYamlDocuments([])).toBe('');
  });
});

describe('emitYaml: key order (go-yaml v2 keyList.Less)', () => {
  it('non-letters before letters, upper before lower, digit runs numerically', () => {
    // A non-digit compares as the number 0 against a digit run, so '_x' < '9'.
    expect(sortKeys(['b', 'a', 'B', '_x', '-y', 'a10', 'a9', 'a09', '10', '9', 'z'])).toEqual([
      '-y', '_x', '9', '10', 'B', 'a', 'a9', 'a09', 'a10', 'b', 'z',
    ]);
  });
  it('common kubernetes keys', () => {
    expect(emitYaml({ spec: 1, metadata: 2, kind: 3, apiVersion: 4 })).toBe('apiVersion: 4\nkind: 3\nmetadata: 2\nspec: 1\n');
    expect(sortKeys(['app.kubernetes.io/name', 'app', 'app-x', 'app_x'])).toEqual(['app', 'app-x', 'app.kubernetes.io/name', 'app_x']);
  });
  it('zeros inside a number run are significant', () => {
    expect(sortKeys(['x100', 'x20', 'x3'])).toEqual(['x3', 'x20', 'x100']);
  });
});

describe('emitYaml: string styles', () => {
  it('double-quotes text that would resolve to another type in go-yaml v2', () => {
    for (const s of ['true', 'True', 'yes', 'Y', 'n', 'on', 'OFF', 'null', '~', '', '123', '-1', '+1', '1.5', '1e3',
      '.5', '0x1F', '0o17', '0b101', '017', '08', '1_000', '1:20', '-1:30:00', '.inf', '-.Inf', '.nan',
      '2001-12-14', '2001-12-14T21:59:43.10Z', '2001-12-14 21:59:43.10']) {
      expect(v(s), s).toBe(`v: "${s}"\n`);
    }
  });
  it('leaves other text plain', () => {
    for (const s of ['hello', 'yes please', '1.2.3', '0x', '1e', 'e1', '.', '..5', '1:60', '2001-13-14', '2001-02-30',
      'a#b', 'a:b', '<<', 'a<<', 'http://x.y/z?q=1', "it's", 'a "q"', '-a', 'a-', '@ok'.slice(1), 'x: ', 'é', '日本']) {
      if (s === 'x: ') continue;
      expect(v(s), s).toBe(`v: ${s}\n`);
    }
  });
  it('single-quotes text the emitter cannot write plain', () => {
    expect(v('- a')).toBe("v: '- a'\n");
    expect(v('-')).toBe("v: '-'\n");
    expect(v(': x')).toBe("v: ': x'\n");
    expect(v('a: b')).toBe("v: 'a: b'\n");
    expect(v('a:')).toBe("v: 'a:'\n");
    expect(v('a #b')).toBe("v: 'a #b'\n");
    expect(v('*ref')).toBe("v: '*ref'\n");
    expect(v('&a')).toBe("v: '&a'\n");
    expect(v('!tag')).toBe("v: '!tag'\n");
    expect(v('%x')).toBe("v: '%x'\n");
    expect(v('@x')).toBe("v: '@x'\n");
    expect(v('`x')).toBe("v: '`x'\n");
    expect(v('{a}')).toBe("v: '{a}'\n");
    expect(v('[a]')).toBe("v: '[a]'\n");
    expect(v("'q'")).toBe("v: '''q'''\n");
    expect(v('"q"')).toBe("v: '\"q\"'\n");
    expect(v(' lead')).toBe("v: ' lead'\n");
    expect(v('trail ')).toBe("v: 'trail '\n");
    expect(v('---x')).toBe("v: '---x'\n");
    expect(v('...')).toBe("v: '...'\n");
    expect(v('?')).toBe("v: '?'\n");
    expect(v('? x')).toBe("v: '? x'\n");
    expect(v('?x')).toBe('v: ?x\n');
  });
  it('keys get the same treatment', () => {
    expect(emitYaml({ 'true': 1, 'a b': 2, '- x': 3, '': 4 })).toBe('"": 4\n\'- x\': 3\na b: 2\n"true": 1\n');
  });
});

describe('emitYaml: literal blocks', () => {
  it('chomping indicators', () => {
    expect(v('a\nb\n')).toBe('v: |\n  a\n  b\n');
    expect(v('a\nb')).toBe('v: |-\n  a\n  b\n');
    expect(v('a\nb\n\n')).toBe('v: |+\n  a\n  b\n\n');
    expect(v('\n')).toBe('v: |2+\n\n');
    expect(v('a\n\nb\n')).toBe('v: |\n  a\n\n  b\n');
  });
  it('indentation indicator for a leading space or break', () => {
    expect(v('  a\nb\n')).toBe('v: |2\n    a\n  b\n');
    expect(v('\na\n')).toBe('v: |2\n\n  a\n');
  });
  it('nested indentation', () => {
    expect(emitYaml({ a: [{ b: 'x\ny\n' }] })).toBe('a:\n- b: |\n    x\n    y\n');
    expect(emitYaml(['x\ny'])).toBe('- |-\n  x\n  y\n');
  });
  it('falls back to double quotes for trailing spaces, tabs and other specials', () => {
    expect(v('a \nb')).toBe('v: "a \\nb"\n');
    expect(v('a\nb ')).toBe('v: "a\\nb "\n');
    expect(v('a\tb\nc')).toBe('v: "a\\tb\\nc"\n');
    expect(v('a\r\nb')).toBe('v: "a\\r\\nb"\n');
  });
  it('a line starting with a space is fine in a literal', () => {
    expect(v('a\n b\n')).toBe('v: |\n  a\n   b\n');
  });
  it('multi-line keys use the explicit key form', () => {
    expect(emitYaml({ 'a\nb': 1 })).toBe('? |-\n  a\n  b\n: 1\n');
  });
});

describe('emitYaml: escapes and unicode', () => {
  it('escapes non-printable characters in double quotes', () => {
    expect(v('a\tb')).toBe('v: "a\\tb"\n');
    expect(v('\u0000\u0007\b\u000b\f\r\u001b')).toBe('v: "\\0\\a\\b\\v\\f\\r\\e"\n');
    expect(v('\u0001')).toBe('v: "\\x01"\n');
    expect(v('\u007f')).toBe('v: "\\x7F"\n');
    expect(v('\u0085')).toBe('v: "\\N"\n');
    // U+2028 is itself a line break for the emitter: no '\n' is added, the next line is indented.
    expect(v('x\u2028y')).toBe("v: 'x\u2028  y'\n");
    expect(v('\ufeffx')).toBe('v: "\\uFEFF\\x78"\n');
    expect(v('\ufffe')).toBe('v: "\\uFFFE"\n');
    expect(v('tab\t"q"\\')).toBe('v: "tab\\t\\"q\\"\\\\"\n');
  });
  it('characters outside the BMP are escaped (libyaml does not treat them as printable)', () => {
    expect(v('😀')).toBe('v: "\\U0001F600"\n');
    expect(v('a😀b')).toBe('v: "a\\U0001F600b"\n');
  });
  it('printable unicode is written as is', () => {
    expect(v('héllo wörld – ok')).toBe('v: héllo wörld – ok\n');
    expect(v('\u00a0x')).toBe('v: \u00a0x\n');
  });
});

describe('emitYaml: folding at 80 columns', () => {
  const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
  it('folds long plain scalars at the first space past column 80', () => {
    expect(v(words)).toBe(
      'v: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12\n' +
        '  word13 word14 word15 word16 word17 word18 word19 word20 word21 word22 word23 word24\n' +
        '  word25 word26 word27 word28 word29\n',
    );
  });
  it('does not fold where the next character is a space', () => {
    const s = 'x'.repeat(85) + '  y z';
    expect(v(s)).toBe(`v: ${'x'.repeat(85)}  y\n  z\n`);
  });
  it('does not fold text without spaces', () => {
    const s = 'x'.repeat(200);
    expect(v(s)).toBe(`v: ${s}\n`);
  });
  it('folds double-quoted scalars, escaping a following space', () => {
    const s = 'a'.repeat(80) + ' \t b';
    expect(v(s)).toBe(`v: "${'a'.repeat(80)}\n  \\t b"\n`);
    const t = 'true ' + 'b'.repeat(80) + '  c';
    // The fold consumes one space; the next one is protected with a backslash.
    expect(emitYaml({ k: `${t}\t` })).toBe(`k: "true ${'b'.repeat(80)}\n  \\ c\\t"\n`);
  });
  it('folds single-quoted scalars', () => {
    const s = '- ' + 'a '.repeat(45) + 'b';
    expect(v(s)).toBe(`v: '- ${'a '.repeat(37)}a\n  ${'a '.repeat(7)}b'\n`);
  });
  it('never folds simple keys', () => {
    const k = 'k '.repeat(50) + 'k';
    expect(emitYaml({ [k]: 1 })).toBe(`${k}: 1\n`);
  });
  it('keys over 128 bytes use the explicit key form', () => {
    const k = 'k'.repeat(129);
    expect(emitYaml({ [k]: 1 })).toBe(`? ${k}\n: 1\n`);
  });
});

describe('emitYaml: numbers and other scalars', () => {
  it('integers', () => {
    expect(v(0)).toBe('v: 0\n');
    expect(v(-0)).toBe('v: 0\n');
    expect(v(42)).toBe('v: 42\n');
    expect(v(-7)).toBe('v: -7\n');
    expect(v(1e6)).toBe('v: 1000000\n');
    expect(v(1.0)).toBe('v: 1\n');
    expect(v(2 ** 53)).toBe('v: 9007199254740992\n');
    expect(v(2 ** 63)).toBe('v: 9223372036854776000\n');
    // json.Marshal prints -2^63 as -9223372036854776000, which no longer fits an int64, so
    // go-yaml reads it back as a float.
    expect(v(-(2 ** 63))).toBe('v: -9.223372036854776e+18\n');
    expect(v(2 ** 64 - 4096)).toBe('v: 18446744073709548000\n');
  });
  it('floats use Go %g (shortest, exponent from 1e+06 and below 1e-04)', () => {
    expect(v(1.5)).toBe('v: 1.5\n');
    expect(v(0.1)).toBe('v: 0.1\n');
    expect(v(0.0001)).toBe('v: 0.0001\n');
    expect(v(0.00001)).toBe('v: 1e-05\n');
    expect(v(1.25e-7)).toBe('v: 1.25e-07\n');
    expect(v(123456.5)).toBe('v: 123456.5\n');
    expect(v(1234567.5)).toBe('v: 1.2345675e+06\n');
    expect(v(2 ** 64)).toBe('v: 1.8446744073709552e+19\n');
    expect(v(1e21)).toBe('v: 1e+21\n');
    expect(v(-1.5e300)).toBe('v: -1.5e+300\n');
  });
  it('booleans and null', () => {
    expect(emitYaml({ a: true, b: false, c: null })).toBe('a: true\nb: false\nc: null\n');
    expect(emitYaml([null])).toBe('- null\n');
  });
});

describe('very long scalars', () => {
  // Regression: a 300 KB unbroken string overflowed the stack (spread into String.fromCodePoint).
  it('emits a 1 MB single-word string', () => {
    const value = 'x'.repeat(1_000_000);
    expect(emitYaml({ a: value })).toBe(`a: ${value}\n`);
  });
});
