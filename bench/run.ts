/**
 * `npm run bench`: runs every benchmark in `bench/` in turn. Each prints Sentiero's figure
 * beside the raw limit measured in the same run, and their ratio. `npm run bench -- ingest`
 * runs only the named ones.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(HERE)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .filter((name) => !only.length || only.includes(name))
  .sort();
for (const name of benches) {
  console.log(`\n## ${name}\n`);
  await import(pathToFileURL(path.join(HERE, `${name}.ts`)).href);
}
