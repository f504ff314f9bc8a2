import { describe, expect, it } from 'vitest';
import { createRedactor, formsInDocument } from '../../../../lib/pipeline/stack-job/redactor.js';
import { emitYaml } from '../../../../lib/kustomize/yaml/emit.js';

describe('redactor', () => {
  it('replaces every occurrence of every value, longest first', () => {
    const redact = createRedactor(['abc', 'abcdef']);
    expect(redact('x abcdef y abc z abc')).toBe('x *** y *** z ***');
  });

  it('hides each line of a multi-line value and its JSON-escaped form', () => {
    const redact = createRedactor(['line-one\nline "two"']);
    expect(redact('got line-one')).toBe('got ***');
    expect(redact('then line "two"!')).toBe('then ***!');
    expect(redact(JSON.stringify({ v: 'line-one\nline "two"' }))).toBe('{"v":"***"}');
  });

  it('ignores empty values and learns new ones', () => {
    const redact = createRedactor(['']);
    expect(redact('nothing to hide')).toBe('nothing to hide');
    redact.add(['hide']);
    expect(redact('nothing to hide')).toBe('nothing to ***');
  });
});

describe('redactor: the forms emitYaml writes a secret in (the manifest file a command may print)', () => {
  it('hides a single-quoted value with its quote doubled', () => {
    const redact = createRedactor(["p@ss: it's #1"]);
    expect(redact("password: 'p@ss: it''s #1'")).toBe('password: ***');
  });

  it('hides each line of a long value emitYaml folds at 80 columns', () => {
    const secret = Array.from({ length: 40 }, (_, i) => `w${i}zq`).join(' ');
    const redact = createRedactor([secret]);
    const lines = emitYaml({ x: secret }).split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(redact(line)).not.toMatch(/zq/);
  });

  it('hides a double-quoted value with YAML escapes (a non-printable character)', () => {
    const secret = 'smile \u{1F600} tab\there';
    const redact = createRedactor([secret]);
    const emitted = emitYaml({ x: secret });
    expect(emitted).toContain('\\U0001F600');
    expect(redact(emitted)).not.toMatch(/smile|tab|here/);
  });
});

describe('formsInDocument', () => {
  it('gives the exact lines of a nested value folded at its own column, which the top-level forms miss', () => {
    const secret = Array.from({ length: 40 }, (_, i) => `w${i}zq`).join(' ');
    const document = { spec: { container: { env: { secrets: { A_LONG_SECRET_NAME: secret } } } }, other: 'kept' };
    const redact = createRedactor([secret]);
    redact.addForms(formsInDocument(document, ['spec', 'container', 'env', 'secrets', 'A_LONG_SECRET_NAME']));
    const printed = emitYaml(document).split('\n').map(redact);
    expect(printed.filter((line) => line.includes('zq'))).toEqual([]);
    expect(printed).toContain('other: kept');
    expect(printed).toContain('        A_LONG_SECRET_NAME: ***');
  });
});
