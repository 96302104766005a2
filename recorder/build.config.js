/** esbuild targets of @sentiero/recorder (see scripts/build.js). */
export default [
  // The script tag the relay serves at <base>/recorder.js: everything bundled, global `Sentiero`.
  {
    entryPoints: ['src/index.ts'], outfile: 'dist/recorder.iife.js', bundle: true, format: 'iife', globalName: 'Sentiero',
    platform: 'browser', target: 'es2019', minify: true, sourcemap: true, conditions: ['development'], legalComments: 'none',
  },
  // For bundlers: dependencies (rrweb's recorder, the protocol) stay imports.
  {
    entryPoints: ['src/index.ts'], outfile: 'dist/index.js', bundle: true, format: 'esm', platform: 'browser',
    target: 'es2019', sourcemap: true, packages: 'external',
  },
];
