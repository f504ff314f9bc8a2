// `npm run build`, unless dist/ was built from exactly these sources.
// npm runs `prepare` on `npm ci` and again each time `npx stageline` first links the project into
// its cache (~15 s of tsc and esbuild for an unchanged tree): the digest of the build's inputs,
// written after a successful build, makes the second one a no-op.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const INPUTS = ['bin', 'lib', 'functions', 'bench', 'statemachine', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
const STAMP = join('dist', '.build-inputs.sha256');

function digestOfInputs() {
  const hash = createHash('sha256');
  const visit = (path) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry));
      return;
    }
    hash.update(`${path}\0`).update(readFileSync(path)).update('\0');
  };
  for (const input of INPUTS) visit(input);
  return hash.update(process.version).digest('hex');
}

const digest = digestOfInputs();
if (existsSync(STAMP) && existsSync(join('dist', 'cli', 'stageline.js')) && readFileSync(STAMP, 'utf8').trim() === digest) process.exit(0);
const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
writeFileSync(STAMP, `${digest}\n`);
