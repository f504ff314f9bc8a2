import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../../lib/pipeline/stack-job/redactor.js';

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
