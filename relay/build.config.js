/** esbuild targets of @sentiero/relay (see scripts/build.js). */
export default [
  { entryPoints: ['src/index.ts'], outfile: 'dist/index.js', bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', sourcemap: true },
  { entryPoints: ['src/middleware/vite.ts'], outfile: 'dist/vite.js', bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', sourcemap: true },
];
