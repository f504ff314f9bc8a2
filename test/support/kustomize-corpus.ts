import { readdirSync, readFileSync, lstatSync, readlinkSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { buildKustomization, MemoryFileSystem } from '../../lib/kustomize/index.js';

/** Where kustomize's conformance corpus lives; never copied into the project. */
export function corpusDirectory(): string {
  return resolve(process.env.STAGELINE_KUSTOMIZE_CONFORMANCE ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'conformance', 'kustomize'));
}

export interface CorpusCase {
  name: string;
  build: string;
  expect: 'output' | 'error';
  reorder: 'none' | 'legacy' | 'unspecified';
  features: string[];
  errorContains?: string;
  errorContainsAll?: string[];
  errorEquals?: string;
}

export interface CaseResult {
  name: string;
  passed: boolean;
  /** Why it failed: a diff summary or the unexpected error. */
  detail?: string;
}

export function loadCorpusIndex(directory = corpusDirectory()): CorpusCase[] {
  return (JSON.parse(readFileSync(join(directory, 'index.json'), 'utf8')) as { cases: CorpusCase[] }).cases;
}

/** The case's input tree as an in-memory filesystem rooted at "/" (as kustomize's own harness). */
export function loadCaseFileSystem(caseDirectory: string): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  const input = join(caseDirectory, 'input');
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const virtual = `/${relative(input, path)}`;
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) fs.symlink(virtual, readlinkSync(path));
      else if (stat.isDirectory()) {
        fs.mkdir(virtual);
        visit(path);
      } else fs.writeFile(virtual, new Uint8Array(readFileSync(path)));
    }
  };
  if (existsSync(input)) visit(input);
  return fs;
}

export function runCorpusCase(testCase: CorpusCase, directory = corpusDirectory()): CaseResult {
  const caseDirectory = join(directory, 'cases', testCase.name);
  const fs = loadCaseFileSystem(caseDirectory);
  const dir = testCase.build === '.' ? '/' : `/${testCase.build}`;
  const reorder = testCase.reorder === 'none' ? 'none' : 'legacy';
  let output: string;
  try {
    output = buildKustomization(fs, dir, { reorder }).yaml;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (testCase.expect === 'output') return { name: testCase.name, passed: false, detail: `unexpected error: ${message}` };
    return { name: testCase.name, passed: errorMatches(testCase, message), detail: `error text: ${message}` };
  }
  if (testCase.expect === 'error') return { name: testCase.name, passed: false, detail: 'expected an error, build succeeded' };
  const expected = readFileSync(join(caseDirectory, 'expected.yaml'), 'utf8');
  if (output === expected) return { name: testCase.name, passed: true };
  return { name: testCase.name, passed: false, detail: firstDifference(expected, output) };
}

function errorMatches(testCase: CorpusCase, message: string): boolean {
  if (testCase.errorEquals !== undefined && message !== testCase.errorEquals) return false;
  if (testCase.errorContains !== undefined && !message.includes(testCase.errorContains)) return false;
  return (testCase.errorContainsAll ?? []).every((part) => message.includes(part));
}

function firstDifference(expected: string, actual: string): string {
  const expectedLines = expected.split('\n');
  const actualLines = actual.split('\n');
  for (let index = 0; index < Math.max(expectedLines.length, actualLines.length); index++) {
    if (expectedLines[index] !== actualLines[index]) {
      return `line ${index + 1}: expected ${JSON.stringify(expectedLines[index])}, got ${JSON.stringify(actualLines[index])}`;
    }
  }
  return 'outputs differ';
}

/** Pass counts per feature tag, for the table the conformance test prints. */
export function featureTable(cases: CorpusCase[], results: Map<string, CaseResult>): string {
  const rows = new Map<string, { passed: number; total: number }>();
  for (const testCase of cases) {
    for (const feature of testCase.features) {
      const row = rows.get(feature) ?? { passed: 0, total: 0 };
      row.total++;
      if (results.get(testCase.name)?.passed) row.passed++;
      rows.set(feature, row);
    }
  }
  const width = Math.max(...[...rows.keys()].map((key) => key.length), 7);
  const lines = [`${'feature'.padEnd(width)}  passed / total`];
  for (const [feature, row] of [...rows.entries()].sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]))) {
    lines.push(`${feature.padEnd(width)}  ${String(row.passed).padStart(6)} / ${row.total}`);
  }
  return lines.join('\n');
}
