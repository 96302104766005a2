// `npm run pack`: builds the published packages (scripts/packages.js), writes their `.d.ts`
// types with tsc (tsconfig.build.json of each; relative `.ts` specifiers become `.js`, which
// TypeScript resolves to the `.d.ts` next to them), and writes one tarball each into
// dist/packages/. Prints the tarballs' paths, dependencies first.
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PUBLISHED, root } from './packages.js';

const run = promisify(execFile);
const out = path.join(root, 'dist', 'packages');

async function dtsFiles(dir) {
  const files = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...await dtsFiles(full));
    else if (e.name.endsWith('.d.ts')) files.push(full);
  }
  return files;
}

async function types(pkg) {
  const dir = path.join(root, pkg, 'dist', 'types');
  await rm(dir, { recursive: true, force: true });
  await run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, pkg, 'tsconfig.build.json')], { cwd: root });
  for (const file of await dtsFiles(dir)) {
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace(/((?:from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1.js$2'));
  }
}

const t0 = Date.now();
await run(process.execPath, [path.join(root, 'scripts', 'build.js'), 'packages'], { cwd: root });
await Promise.all(PUBLISHED.map(types));
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
// One `npm pack` for all: npm reads the workspace tree once.
const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', out, ...PUBLISHED.map((p) => `./${p}`)], { cwd: root });
const tarballs = JSON.parse(stdout).map((t) => path.join(out, t.filename));
for (const t of tarballs) console.log(path.relative(process.cwd(), t));
console.error(`packed ${tarballs.length} packages in ${Date.now() - t0} ms`);
