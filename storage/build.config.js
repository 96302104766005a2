/** esbuild targets of @sentiero/storage (see scripts/build.js): Node only, dependencies left to the package manager. */
export default [
  { entryPoints: ['src/index.ts'], outfile: 'dist/index.js', bundle: true, format: 'esm', platform: 'node', packages: 'external', target: 'node20', sourcemap: true },
  { entryPoints: ['src/conformance.ts'], outfile: 'dist/conformance.js', bundle: true, format: 'esm', platform: 'node', packages: 'external', target: 'node20', sourcemap: true },
];
