import { mkdirSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildKustomization, type Reorder } from '../../kustomize/index.js';
import type { FileSystem } from '../../kustomize/file-system.js';
import { findKustomizationFile } from '../../kustomize/kustomization-file.js';
import { DiskFileSystem } from '../../adapters/local/disk-file-system.js';
import { isStagelineError, UsageError } from '../../errors.js';
import type { CliIo } from '../io.js';

export interface KustomizeBuildOptions {
  /** The directories as given on the command line; none means the current directory. */
  dirs?: string[];
  /** One directory (the single-directory form); `dirs` wins when both are set. */
  dir?: string;
  reorder?: Reorder;
  overlay?: string;
  out?: string;
  /** One JSON line per directory: `{"dir":…,"output":…}` or `{"dir":…,"error":…}`. */
  json?: boolean;
}

/**
 * `stageline kustomize build`:
 * - one directory holding a kustomization is built like `kustomize build DIR`;
 * - a project root builds every overlay of its `_kustomize/overlays/`;
 * - several kustomization directories (or `--json`) are built in this one process, each output
 *   after a `# dir: DIR` line (`---` between them), or one JSON line per directory with --json.
 */
export async function kustomizeBuildCommand(options: KustomizeBuildOptions, io: CliIo): Promise<void> {
  const dirs = options.dirs?.length ? options.dirs : [options.dir ?? '.'];
  const reorder = options.reorder ?? 'legacy';
  if (dirs.length > 1 || options.json) {
    buildMany(dirs, options, io);
    return;
  }
  const given = dirs[0]!;
  const fs = new CachingFileSystem(new DiskFileSystem());
  const dir = resolve(io.cwd, given);
  if (!fs.isDirectory(dir)) {
    throw new UsageError(`${given}: no such directory`, { hint: 'pass a kustomization directory or a project root' });
  }
  if (findKustomizationFile(fs, dir) !== undefined && options.overlay === undefined) {
    const { yaml } = buildKustomization(fs, dir, { reorder });
    if (options.out) writeAtomically(join(resolve(io.cwd, options.out), 'output.yaml'), yaml);
    else writeStdout(yaml);
    return;
  }
  const overlaysDir = join(dir, '_kustomize', 'overlays');
  if (!fs.isDirectory(overlaysDir)) {
    throw new UsageError(`${given}: neither a kustomization directory nor a project with _kustomize/overlays/`, {
      hint: 'run it in a directory with kustomization.yaml, or in a project root (see `stageline kustomize init --new`)',
    });
  }
  const overlays = fs.readDir(overlaysDir).filter((name) => fs.isDirectory(join(overlaysDir, name)));
  const selected = options.overlay === undefined ? overlays : overlays.filter((name) => name === options.overlay);
  if (selected.length === 0) {
    throw new UsageError(`overlay "${options.overlay}" not found in ${overlaysDir}`, { hint: `known overlays: ${overlays.join(', ') || '(none)'}` });
  }
  // Build everything before writing anything: a failing overlay leaves no half-written output.
  const built = selected.map((name) => ({ name, yaml: buildKustomization(fs, join(overlaysDir, name), { reorder }).yaml }));
  if (options.out) {
    const outDir = resolve(io.cwd, options.out);
    for (const { name, yaml } of built) writeAtomically(join(outDir, `${name}.yaml`), yaml);
    io.err(`wrote ${built.length} overlay(s) to ${options.out}`);
    return;
  }
  writeStdout(built.map(({ name, yaml }) => `# overlay: ${name}\n${yaml}`).join('---\n'));
}

/**
 * The multi-directory form: every DIR must hold a kustomization file. Text output builds them all
 * before writing anything (the first failure is the error, naming its directory); --json streams
 * one line per directory, failures included, and exits 1 at the end when any failed.
 */
function buildMany(dirs: string[], options: KustomizeBuildOptions, io: CliIo): void {
  if (options.out !== undefined || options.overlay !== undefined) {
    const flag = options.out !== undefined ? '--out' : '--overlay';
    throw new UsageError(`${flag} takes a single directory (got ${dirs.length}${options.json ? ' with --json' : ''})`, {
      hint: `build a project root on its own for ${flag}, or drop ${flag} to build each kustomization directory to stdout`,
    });
  }
  // One process, many directories: bases shared between them are read once.
  const fs = new CachingFileSystem(new DiskFileSystem());
  const reorder = options.reorder ?? 'legacy';
  const buildOne = (given: string): string => {
    const dir = resolve(io.cwd, given);
    if (!fs.isDirectory(dir)) throw new UsageError(`${given}: no such directory`, { hint: 'pass kustomization directories' });
    if (findKustomizationFile(fs, dir) === undefined) {
      throw new UsageError(`${given}: no kustomization file (kustomization.yaml, kustomization.yml or Kustomization)`, {
        hint: 'the multi-directory form builds kustomization directories; build a project root on its own',
      });
    }
    return buildKustomization(fs, dir, { reorder }).yaml;
  };
  if (options.json) {
    let failed = 0;
    for (const dir of dirs) {
      let line: string;
      try {
        line = JSON.stringify({ dir, output: buildOne(dir) });
      } catch (error) {
        if (!isStagelineError(error)) throw error;
        failed++;
        line = JSON.stringify({ dir, error: oneLine(error.message), ...(error.hint ? { hint: error.hint } : {}) });
      }
      writeStdout(`${line}\n`);
    }
    if (failed > 0) throw new UsageError(`${failed} of ${dirs.length} directories failed to build (see their "error" lines)`);
    return;
  }
  const built = dirs.map((dir) => {
    try {
      return `# dir: ${dir}\n${buildOne(dir)}`;
    } catch (error) {
      if (isStagelineError(error) && !error.message.startsWith(`${dir}: `)) error.message = `${dir}: ${error.message}`;
      throw error;
    }
  });
  writeStdout(built.join('---\n'));
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * A read-through cache over a FileSystem, for one command: the files do not change while it runs,
 * and directories built together share bases.
 */
class CachingFileSystem implements FileSystem {
  private readonly texts = new Map<string, string>();
  private readonly bytes = new Map<string, Uint8Array>();
  private readonly directories = new Map<string, boolean>();
  private readonly existing = new Map<string, boolean>();
  private readonly listings = new Map<string, string[]>();
  private readonly realPaths = new Map<string, string>();
  readonly readFileBytes?: (path: string) => Uint8Array;

  constructor(private readonly inner: FileSystem) {
    if (inner.readFileBytes) {
      const read = inner.readFileBytes.bind(inner);
      this.readFileBytes = (path) => {
        let value = this.bytes.get(path);
        if (value === undefined) this.bytes.set(path, (value = read(path)));
        return value;
      };
    }
  }

  readFile(path: string): string {
    let value = this.texts.get(path);
    if (value === undefined) this.texts.set(path, (value = this.inner.readFile(path)));
    return value;
  }

  exists(path: string): boolean {
    let value = this.existing.get(path);
    if (value === undefined) this.existing.set(path, (value = this.inner.exists(path)));
    return value;
  }

  isDirectory(path: string): boolean {
    let value = this.directories.get(path);
    if (value === undefined) this.directories.set(path, (value = this.inner.isDirectory(path)));
    return value;
  }

  readDir(path: string): string[] {
    let value = this.listings.get(path);
    if (value === undefined) this.listings.set(path, (value = this.inner.readDir(path)));
    return [...value];
  }

  realPath(path: string): string {
    let value = this.realPaths.get(path);
    if (value === undefined) this.realPaths.set(path, (value = this.inner.realPath(path)));
    return value;
  }
}

/**
 * Writes to fd 1 synchronously: no stdout stream is set up (that costs milliseconds of start-up),
 * and the output is complete, in order, when the command returns. A non-blocking stdout that is
 * full (EAGAIN: a pipe whose reader is slower) is waited for, a millisecond at a time.
 */
function writeStdout(text: string): void {
  if (text === '') return;
  const buffer = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += writeSync(1, buffer, offset, buffer.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAtomically(path: string, content: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/** What the fast path's io does: lines to stderr, synchronously. */
const fastIo: CliIo = {
  out: (line) => writeStdout(`${line}\n`),
  err: (line) => {
    writeSync(2, `${line}\n`);
  },
  interactive: false,
  cwd: process.cwd(),
};

/**
 * `stageline kustomize build ARGS…` without commander: the CLI's launcher (dist/cli/stageline.js)
 * calls this first. It returns the exit code, or undefined when ARGS hold anything it does not
 * parse exactly as commander would (--help, an unknown flag, a bad --reorder value, a missing
 * option value): then the full CLI runs and reports it.
 */
export async function runKustomizeBuildFast(args: string[]): Promise<number | undefined> {
  const options = parseKustomizeBuildArgs(args);
  if (options === undefined) return undefined;
  try {
    await kustomizeBuildCommand(options, fastIo);
    return 0;
  } catch (error) {
    // Loaded only now: report-error's module sets up process.stdout as a stream, which costs
    // milliseconds of every build's start-up.
    const { reportError } = await import('../report-error.js');
    return reportError(error, fastIo);
  }
}

const VALUE_OPTIONS = new Set(['reorder', 'overlay', 'out']);

/** The options `kustomize build` takes, or undefined for anything the full CLI must look at. */
export function parseKustomizeBuildArgs(args: string[]): KustomizeBuildOptions | undefined {
  const options: KustomizeBuildOptions & Record<string, unknown> = { dirs: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      for (const rest of args.slice(i + 1)) options.dirs!.push(rest);
      break;
    }
    if (!arg.startsWith('-')) {
      options.dirs!.push(arg);
      continue;
    }
    if (arg === '--json') {
      options.json = true;
      continue;
    }
    const match = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    if (!match || !VALUE_OPTIONS.has(match[1]!)) return undefined;
    let value = match[2];
    if (value === undefined) {
      value = args[++i];
      if (value === undefined || value.startsWith('-')) return undefined;
    }
    if (match[1] === 'reorder' && value !== 'legacy' && value !== 'none') return undefined;
    options[match[1]!] = value;
  }
  return options;
}
