/** esbuild targets of @sentiero/relay (see scripts/build.js): the API, and the Vite plugin (`@sentiero/relay/vite`, which imports the API as a package rather than bundling a second relay). */
const node = { bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', sourcemap: true };

export default [
  { ...node, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' },
  { ...node, entryPoints: ['src/middleware/vite.ts'], outfile: 'dist/vite.js' },
];
