/** esbuild targets of @sentiero/relay (see scripts/build.js): the API, and the Vite plugin (`@sentiero/relay/vite`) when its source is present. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const node = { bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', sourcemap: true };
const vite = fileURLToPath(new URL('src/middleware/vite.ts', import.meta.url));

export default [
  { ...node, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' },
  ...(existsSync(vite) ? [{ ...node, entryPoints: ['src/middleware/vite.ts'], outfile: 'dist/vite.js' }] : []),
];
