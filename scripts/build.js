// Builds the packages: each folder of scripts/packages.js with a `build.config.js` exports an
// array of esbuild options (paths relative to that folder). One process, all builds in parallel.
// A config may also export `after()`, an async step run once every bundle is built (e.g.
// packaging the VS Code extension); its failure fails the build.
// `node scripts/build.js` builds everything; arguments select folders (`relay`) or named
// targets (`demo`, `packages`: see TARGETS).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TARGETS, buildFolders, root } from './packages.js';

const folders = await buildFolders();
const only = new Set();
for (const arg of process.argv.slice(2)) {
  const set = TARGETS[arg] ?? (folders.includes(arg) ? [arg] : undefined);
  if (!set) {
    console.error(`build: unknown target "${arg}"; targets: ${Object.keys(TARGETS).join(', ')}, or a folder: ${folders.join(', ')}`);
    process.exit(2);
  }
  for (const f of set) only.add(f);
}

const started = Date.now();
const jobs = [];
const afters = [];
for (const ws of folders) {
  if (only.size && !only.has(ws)) continue;
  const dir = path.join(root, ws);
  const config = path.join(dir, 'build.config.js');
  if (!existsSync(config)) continue;
  const { default: targets, after } = await import(pathToFileURL(config).href);
  if (typeof after === 'function') afters.push([ws, after]);
  for (const t of targets) {
    // Bundle workspace packages from their sources (the `development` export condition), so no
    // build depends on another's `dist/` having been written first.
    const opts = { logLevel: 'warning', absWorkingDir: dir, conditions: ['development'], ...t };
    jobs.push(build(opts).then(() => `${ws}: ${t.outfile ?? t.outdir}`));
  }
}
const done = await Promise.all(jobs);
console.log(`built ${done.length} bundles in ${Date.now() - started} ms`);
for (const [ws, after] of afters) {
  const t0 = Date.now();
  const what = await after();
  console.log(`${ws}: after() ${what ?? 'done'} in ${Date.now() - t0} ms`);
}
