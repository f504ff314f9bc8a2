import { describe, expect, it } from 'vitest';
import { EXIT_INTERNAL_ERROR, EXIT_OK, EXIT_USER_ERROR, reportError } from '../../../lib/cli/report-error.js';
import { printable, type CliIo } from '../../../lib/cli/io.js';
import { CorruptRecordError } from '../../../lib/pipeline/errors.js';

function capture(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (line) => lines.push(line), err: (line) => lines.push(line), interactive: false, cwd: '/' };
}

describe('reportError', () => {
  it('an internal error: exit 2, a hint to report it, the stack only with STAGELINE_DEBUG', () => {
    const io = capture();
    const saved = process.env.STAGELINE_DEBUG;
    delete process.env.STAGELINE_DEBUG;
    try {
      expect(reportError(new TypeError('x is undefined'), io)).toBe(EXIT_INTERNAL_ERROR);
    } finally {
      if (saved !== undefined) process.env.STAGELINE_DEBUG = saved;
    }
    expect(io.lines).toEqual(['internal error: x is undefined', 'hint: this is a bug in Stageline; rerun with STAGELINE_DEBUG=1 for the stack trace and report it']);
  });

  it('a corrupt record: exit 1, one line naming the file, and a hint', () => {
    const io = capture();
    expect(reportError(new CorruptRecordError('runs/r1/run.json', 'the file is empty'), io)).toBe(EXIT_USER_ERROR);
    expect(io.lines[0]).toBe('error: store record runs/r1/run.json is corrupt: the file is empty');
    expect(io.lines[1]).toMatch(/^hint: /);
  });

  it('a write to a closed pipe: exit 0, nothing printed', () => {
    const io = capture();
    expect(reportError(Object.assign(new Error('EPIPE: broken pipe, write'), { code: 'EPIPE' }), io)).toBe(EXIT_OK);
    expect(io.lines).toEqual([]);
  });
});

describe('printable', () => {
  it('escapes control characters (ESC, CR, LF, DEL, C1) and keeps tabs and other text', () => {
    expect(printable('main\u001b[2J\r\nfake line\u007f\u009b\tok é')).toBe('main\\x1b[2J\\x0d\\x0afake line\\x7f\\x9b\tok é');
  });
});
