// Builds every package: each workspace folder with a `build.config.js` exports an array of
// esbuild options (paths relative to that folder). One process, all builds in parallel.
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
for (const ws of workspaces) {
  if (only.length && !only.includes(ws)) continue;
  const dir = path.join(root, ws);
  const config = path.join(dir, 'build.config.js');
  if (!existsSync(config)) continue;
  const { default: targets } = await import(pathToFileURL(config).href);
  for (const t of targets) {
    const opts = { logLevel: 'warning', absWorkingDir: dir, ...t };
    jobs.push(build(opts).then(() => `${ws}: ${t.outfile ?? t.outdir}`));
  }
}
const done = await Promise.all(jobs);
console.log(`built ${done.length} bundles in ${Date.now() - started} ms`);
