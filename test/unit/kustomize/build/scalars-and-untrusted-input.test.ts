import { describe, expect, it } from 'vitest';
import { buildKustomization, KustomizeError, MemoryFileSystem } from '../../../../lib/kustomize/index.js';

/**
 * A value must never change by being passed through the engine, odd encodings are read like
 * kustomize reads them, and hostile input fails fast with one clear line (checked against
 * kubectl kustomize 1.33 where kustomize itself finishes).
 */
const build = (files: Record<string, string | Uint8Array>, dir = '/app') => {
  const fs = new MemoryFileSystem();
  for (const [path, content] of Object.entries(files)) fs.writeFile(path, content);
  return buildKustomization(fs, dir).yaml;
};
const one = (resource: string | Uint8Array) => build({ '/app/kustomization.yaml': 'resources: [r.yaml]\n', '/app/r.yaml': resource });
const failure = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the build to fail');
};

describe('strategic-merge patch scalars take the target quoting style', () => {
  it('prints a plain number, boolean or timestamp written over a quoted string as its own text', () => {
    const files = {
      '/app/kustomization.yaml': 'resources: [r.yaml]\npatches:\n- path: p.yaml\n',
      '/app/r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "8080"\n  b: \'abc\'\n  c: plain\n  d: "x"\n  e: |\n    block\n  f: !!str tagged\n  g: "2001-01-01"\n  i: "0x10"\n',
      '/app/p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: 9090\n  b: 1e3\n  c: 1e3\n  d: True\n  e: 0x10\n  f: 12\n  g: 2002-02-02\n  i: 1_000\n',
    };
    expect(build(files)).toBe(
      'apiVersion: v1\ndata:\n  a: "9090"\n  b: "1e3"\n  c: 1000\n  d: "True"\n  e: "0x10"\n  f: 12\n  g: "2002-02-02"\n  i: "1_000"\nkind: ConfigMap\nmetadata:\n  name: x\n',
    );
  });
});

describe('integers beyond 2^53', () => {
  it('keep every digit (int64 and uint64); larger ones are floats as in go-yaml', () => {
    const resource = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  a: 12345678901234567890\n  b: 9223372036854775807\n  c: -9223372036854775808\n  d: 123456789012345678901234\n  e: 0x7fffffffffffffff\n  f: 9007199254740993\n  l: [18446744073709551615]\n';
    expect(one(resource)).toBe(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  a: 12345678901234567890\n  b: 9223372036854775807\n  c: -9223372036854775808\n  d: 1.2345678901234569e+23\n  e: 9223372036854775807\n  f: 9007199254740993\n  l:\n  - 18446744073709551615\n',
    );
  });

  it('survive a strategic-merge patch and a JSON patch', () => {
    const files = {
      '/app/kustomization.yaml': [
        'resources: [r.yaml]',
        'patches:',
        '- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: x\n    spec:\n      b: 18446744073709551615',
        '- target: {kind: ConfigMap}\n  patch: |-\n    - op: add\n      path: /spec/c\n      value: 9223372036854775807',
        '',
      ].join('\n'),
      '/app/r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  a: 12345678901234567890\n',
    };
    expect(build(files)).toBe('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  a: 12345678901234567890\n  b: 18446744073709551615\n  c: 9223372036854775807\n');
  });
});

describe('encodings', () => {
  const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n';

  it('does not take a UTF-8 byte-order mark as part of the first key', () => {
    expect(one(`\uFEFF${configMap}`)).toBe(configMap);
    expect(build({ '/app/kustomization.yaml': '\uFEFFresources: [r.yaml]\n', '/app/r.yaml': `\uFEFF${configMap}` })).toBe(configMap);
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(configMap)]);
    expect(one(bytes)).toBe(configMap);
  });

  it('refuses invalid UTF-8 with one error naming the file', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode(`${configMap}data:\n  a: "`), 0xff, 0xfe, ...new TextEncoder().encode('"\n')]);
    const error = failure(() => one(bytes));
    expect(error).toBeInstanceOf(KustomizeError);
    expect(error.message).toBe("accumulating resources: accumulating resources from 'r.yaml': MalformedYAMLError: yaml: invalid leading UTF-8 octet in File: r.yaml");
  });

  it('still reads a correctly encoded U+FFFD', () => {
    expect(one(`${configMap}data:\n  a: "\uFFFD"\n`)).toBe(`apiVersion: v1\ndata:\n  a: \uFFFD\nkind: ConfigMap\nmetadata:\n  name: x\n`);
  });

  it('refuses an empty mapping key like go-yaml', () => {
    const error = failure(() => one(`${configMap}data:\n  : x\n`));
    expect(error.message).toBe("accumulating resources: accumulating resources from 'r.yaml': MalformedYAMLError: yaml: line 5: did not find expected key in File: r.yaml");
    expect(failure(() => one(`${configMap}: x\n`)).message).toContain('yaml: line 4: did not find expected key');
    expect(one(`${configMap}data:\n  "": x\n`)).toBe(`apiVersion: v1\ndata:\n  "": x\nkind: ConfigMap\nmetadata:\n  name: x\n`);
  });
});

describe('untrusted input', () => {
  const bomb = (() => {
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: x', 'data:', '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    let previous = 'a';
    for (const name of 'bcdefghi') {
      lines.push(`  ${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
      previous = name;
    }
    return `${lines.join('\n')}\n`;
  })();

  it('refuses an alias bomb (9 levels of 9 aliases) in a resource, fast and in small memory', () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const error = failure(() => one(bomb));
    expect(performance.now() - started).toBeLessThan(500);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(error).toBeInstanceOf(KustomizeError);
    expect(error.message).toBe("accumulating resources: accumulating resources from 'r.yaml': MalformedYAMLError: yaml: document contains excessive aliasing in File: r.yaml");
  });

  it('refuses it in a patch, a JSON patch, a kustomization file and a transformer config', () => {
    const patchBomb = bomb.replace('kind: ConfigMap', 'kind: ConfigMap');
    const base = { '/app/r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' };
    const cases: Record<string, string | Uint8Array>[] = [
      { ...base, '/app/kustomization.yaml': 'resources: [r.yaml]\npatches:\n- path: p.yaml\n', '/app/p.yaml': patchBomb },
      { ...base, '/app/kustomization.yaml': 'resources: [r.yaml]\npatches:\n- path: p.yaml\n  target: {kind: ConfigMap}\n', '/app/p.yaml': `- op: add\n  path: /data\n  value:\n${bomb.split('\n').slice(5).map((line) => `  ${line}`).join('\n')}` },
      { ...base, '/app/kustomization.yaml': `resources: [r.yaml]\n${bomb.split('\n').slice(5).map((line) => line.slice(2)).join('\n')}` },
      { ...base, '/app/kustomization.yaml': 'resources: [r.yaml]\nconfigurations: [c.yaml]\n', '/app/c.yaml': `namePrefix:\n${bomb.split('\n').slice(5).map((line) => line.replace(/^ {2}(\w): /, '- $1: ')).join('\n')}` },
    ];
    for (const files of cases) {
      const started = performance.now();
      const error = failure(() => build(files));
      expect(performance.now() - started).toBeLessThan(500);
      expect(error, error.message).toBeInstanceOf(KustomizeError);
      expect(error.message).toMatch(/alias/i);
    }
  });

  it('reports an invalid regex in a patch target as a user error naming the file and the field', () => {
    const files = {
      '/app/kustomization.yaml': 'resources: [r.yaml]\npatches:\n- target:\n    name: "a(b"\n  patch: |-\n    - op: add\n      path: /x\n      value: 1\n',
      '/app/r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n',
    };
    const error = failure(() => build(files));
    expect(error).toBeInstanceOf(KustomizeError);
    expect(error.message).toBe('/app/kustomization.yaml: patches[0].target.name: error parsing regexp: unterminated group: `^(?:a(b)$`');
  });
});

describe('BuildResult.resources', () => {
  it('stays plain JSON (numbers) where the YAML output keeps every digit', () => {
    const fs = new MemoryFileSystem({ '/app/kustomization.yaml': 'resources: [r.yaml]\n', '/app/r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nspec:\n  a: 12345678901234567890\n' });
    const result = buildKustomization(fs, '/app');
    expect(result.yaml).toContain('a: 12345678901234567890\n');
    expect(JSON.stringify(result.resources)).toBe('[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"spec":{"a":12345678901234567000}}]');
  });
});
