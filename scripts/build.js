// Builds every package: each workspace folder with a `build.config.js` exports an array of
// esbuild options (paths relative to that folder). One process, all builds in parallel.
// A config may also export `after()`, an async step run once every bundle is built (e.g.
// packaging the VS Code extension); its failure fails the build.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { workspaces } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const only = process.argv.slice(2);

const started = Date.now();
const jobs = [];
const afters = [];
for (const ws of workspaces) {
  if (only.length && !only.includes(ws)) continue;
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
