import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CommandProvisioner } from '../../../../lib/adapters/local/command-provisioner.js';
import { createRedactor } from '../../../../lib/pipeline/stack-job/redactor.js';
import { ENV, helloManifest, jobFixture, memorySecrets, ORG, tempDir } from './harness.js';

/** Plain in YAML (so a shell command can cut it out of the manifest file), yet full of characters every encoding escapes. */
const SECRET = "zq7 S3cr3t/p@ss+w0rd&x<y>z'q é (1)*!~end";

/**
 * The oracle, independent of the redactor: every way a reader could decode `text` back — as is,
 * base64 (standard or URL-safe, at each of the four alignments of each run of base64 characters),
 * percent-decoding (`+` as a space), JSON `\u` escapes, HTML entities — and whether any decoding
 * still shows 8 consecutive characters of the secret.
 */
function reveals(text: string, secret = SECRET): string[] {
  const decodings = new Set<string>([text]);
  for (const run of text.match(/[A-Za-z0-9+/_-]{4,}={0,2}/g) ?? []) {
    for (let skip = 0; skip < 4; skip++) {
      const body = run.slice(skip).replace(/-/g, '+').replace(/_/g, '/');
      decodings.add(Buffer.from(body.slice(0, body.length - (body.length % 4)), 'base64').toString('latin1'));
      decodings.add(Buffer.from(body.slice(0, body.length - (body.length % 4)), 'base64').toString('utf8'));
    }
  }
  try {
    decodings.add(decodeURIComponent(text.replace(/\+/g, ' ')));
  } catch {
    decodings.add(text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))));
  }
  decodings.add(text.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))).replace(/\\\//g, '/'));
  decodings.add(
    text
      .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
      .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&'),
  );
  const found: string[] = [];
  for (const decoding of decodings) {
    for (let start = 0; start + 8 <= secret.length; start++) {
      if (decoding.includes(secret.slice(start, start + 8))) {
        found.push(`${JSON.stringify(text)} decodes to …${secret.slice(start, start + 8)}…`);
        break;
      }
    }
  }
  return found;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('redactor: encoded forms of a secret', () => {
  const redact = createRedactor([SECRET]);

  it('base64: standard and URL-safe, with and without padding; echo (a trailing newline) too', () => {
    const std = b64(SECRET);
    for (const form of [std, std.replace(/=+$/, ''), Buffer.from(SECRET).toString('base64url'), `${Buffer.from(SECRET).toString('base64url')}==`, b64(`${SECRET}\n`)]) {
      expect(reveals(redact(`value: ${form}`))).toEqual([]);
    }
  });

  it('base64 of a longer text holding the secret, at each of the three alignments', () => {
    for (const before of ['', 'a', 'ab', 'abc', 'token=', 'Authorization: Basic ']) {
      const encoded = b64(`${before}${SECRET} and after`);
      const redacted = redact(encoded);
      expect(redacted, before).toContain('***');
      expect(reveals(redacted), before).toEqual([]);
    }
  });

  it('URL-encoded: encodeURIComponent, strict (jq @uri), form-encoded (+ for space), lowercase hex', () => {
    const strict = encodeURIComponent(SECRET).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
    const form = new URLSearchParams({ v: SECRET }).toString().slice(2);
    for (const encoded of [encodeURIComponent(SECRET), strict, form, strict.replace(/%20/g, '+'), strict.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())]) {
      expect(redact(`https://x.example/?p=${encoded}&q=1`)).toBe('https://x.example/?p=***&q=1');
    }
  });

  it('JSON \\u-escaped: every character, non-ASCII only (lower/upper hex), HTML-safe, with \\/', () => {
    const all = [...SECRET].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    const ascii = JSON.stringify(SECRET).slice(1, -1).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const htmlSafe = JSON.stringify(SECRET).slice(1, -1).replace(/[<>&]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    for (const escaped of [all, all.toUpperCase().replace(/\\U/g, '\\u'), ascii, ascii.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`), htmlSafe, ascii.replace(/\//g, '\\/')]) {
      expect(redact(`{"password":"${escaped}"}`)).toBe('{"password":"***"}');
    }
  });

  it('HTML-escaped (&amp; &lt; &gt; &quot; &#39; / &#x27; / &apos; / &#34;)', () => {
    const base = SECRET.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    for (const escaped of [base, base.replace(/'/g, '&#39;'), base.replace(/'/g, '&#x27;'), base.replace(/'/g, '&apos;'), base.replace(/'/g, '&#39;').replace(/"/g, '&#34;')]) {
      expect(redact(`<td>${escaped}</td>`)).toBe('<td>***</td>');
    }
  });

  it('a value split across lines (base64 -w, fold): each piece of 8 characters or more is hidden, line by line', () => {
    const long = `${SECRET} ${SECRET.split('').reverse().join('')}`;
    const wrapped = createRedactor([long]);
    const pieces = (text: string, width: number) => text.match(new RegExp(`.{1,${width}}`, 'gsu'))!;
    for (const [lines, onlySecret] of [[pieces(b64(long), 76), true], [pieces(b64(long), 16), true], [pieces(b64(`header ${long} trailer`), 20), false], [pieces(long, 9), true]] as const) {
      const redacted = lines.map((line) => wrapped(`[apply] ${line}`).slice('[apply] '.length));
      expect(reveals(redacted.join(''), long)).toEqual([]);
      // A wrap of the secret alone: every line is hidden but for a few characters at the edges (pieces shorter than 8).
      if (onlySecret) for (const line of redacted) expect(line.replace('***', '').length, line).toBeLessThan(8);
    }
  });

  it('does not eat innocent text: short derived forms are not used, other text stays', () => {
    const short = createRedactor(['ab']);
    expect(short('YWI= tab grab a b')).toBe('YWI= t*** gr*** a b');
    expect(redact('deployed hello to app-dev in 3 s; 1 output')).toBe('deployed hello to app-dev in 3 s; 1 output');
  });
});

describe('the runner with a real provisioner command printing encoded secrets', () => {
  it('base64 / URL / JSON / HTML / wrapped forms never reach the log in clear; outputs holding them are dropped with a line naming the key', async () => {
    const dir = await tempDir();
    const encoder = join(dir, 'encode.mjs');
    // What `jq -sRr @uri`, python's json.dumps, html.escape would print, with node.
    await writeFile(
      encoder,
      [
        "const s = process.argv[2];",
        "const hex = (c) => c.charCodeAt(0).toString(16).padStart(4, '0');",
        "console.log('uri: ' + encodeURIComponent(s));",
        "console.log('jq-uri: ' + encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()));",
        "console.log('form: ' + new URLSearchParams({ v: s }).toString().slice(2));",
        "console.log('json-ascii: ' + JSON.stringify(s).replace(/[\\u007f-\\uffff]/g, (c) => '\\\\u' + hex(c)));",
        "console.log('json-all: ' + [...s].map((c) => '\\\\u' + hex(c)).join(''));",
        "console.log('html: ' + s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\"/g, '&quot;').replace(/'/g, '&#x27;'));",
        "console.log('STAGELINE_OUTPUT uri=' + encodeURIComponent(s));",
      ].join('\n'),
    );
    const node = JSON.stringify(process.execPath);
    const apply = [
      `S=$(sed -n 's/^ *DATABASE_PASSWORD: //p' {{ .ManifestFile }})`,
      'echo "b64: $(printf %s "$S" | base64 -w 0)"',
      'echo "b64url: $(printf %s "$S" | base64 -w 0 | tr "+/" "-_" | tr -d =)"',
      'echo "echo-b64: $(echo "$S" | base64 -w 0)"',
      'for p in x xy xyz; do echo "embedded-$p: $(printf "%s token=%s; more" "$p" "$S" | base64 -w 0)"; done',
      'echo "--- wrapped"; printf "header %s trailer" "$S" | base64 -w 16; echo; echo "--- folded"; printf %s "$S" | fold -w 9; echo; echo "--- end"',
      `${node} ${JSON.stringify(encoder)} "$S"`,
      'echo "STAGELINE_OUTPUT b64=$(printf %s "$S" | base64 -w 0)"',
      'echo "STAGELINE_OUTPUT url=https://hello.example"',
    ].join('\n');
    const job = await jobFixture({
      manifest: helloManifest({ secrets: { DATABASE_PASSWORD: '$secrets-group/database/password' } }),
      secrets: memorySecrets({ database: { password: SECRET } }),
    });
    const commandDir = await tempDir();
    // The dropped-output line goes to the job's log, or to the runner's stderr (relayed by its host).
    const stderr = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    let report;
    let warned: string[];
    try {
      report = await job.run({ provisionerFor: () => new CommandProvisioner({ apply }, { tempDir: commandDir }) });
    } finally {
      warned = stderr.mock.calls.map((call) => String(call[0]));
      stderr.mockRestore();
    }
    const said = [...job.logs, ...warned];
    expect(report.outcome, job.logs.join('\n')).toBe('succeeded');

    const relayed = job.logs.filter((line) => line.startsWith('[apply] ')).map((line) => line.slice('[apply] '.length));
    const labelled = relayed.filter((line) => /^[a-z0-9-]+: /.test(line));
    expect(labelled.map((line) => line.split(':')[0])).toEqual(['b64', 'b64url', 'echo-b64', 'embedded-x', 'embedded-xy', 'embedded-xyz', 'uri', 'jq-uri', 'form', 'json-ascii', 'json-all', 'html']);
    for (const line of relayed) expect(reveals(line), line).toEqual([]);
    for (const block of ['wrapped', 'folded']) {
      const start = relayed.indexOf(`--- ${block}`);
      const lines = relayed.slice(start + 1, relayed.findIndex((line, index) => index > start && line.startsWith('--- ')));
      expect(lines.length, block).toBeGreaterThan(2);
      expect(reveals(lines.join('')), block).toEqual([]);
    }

    const outputs = JSON.parse((await job.objects())[`outputs/${ORG}/${ENV}/KubernetesDeployment/hello.json`]!) as Record<string, string>;
    expect(outputs).toEqual({ url: 'https://hello.example' });
    for (const key of ['b64', 'uri']) expect(said).toContainEqual(expect.stringMatching(new RegExp(`^output ${key} dropped: its value holds a secret`)));
    for (const line of said) expect(reveals(line), line).toEqual([]);
  });
});
