/** esbuild targets of @sentiero/viewer (see scripts/build.js). Every bundle runs under `script-src 'self'` or a nonce: no eval, no inline scripts. */
const common = { bundle: true, platform: 'browser', target: 'es2020', minify: true, sourcemap: true, legalComments: 'linked' };
export default [
  { ...common, entryPoints: ['src/dashboard.ts'], outfile: 'dist/dashboard.js', format: 'esm' },
  { ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js', format: 'esm' },
  { ...common, entryPoints: ['src/index.ts'], outfile: 'dist/viewer.iife.js', format: 'iife', globalName: 'SentieroViewer' },
  { ...common, entryPoints: ['src/host.ts'], outfile: 'dist/host.js', format: 'esm' },
  // The HTML export's player: inlined by the relay into each export (so no source map link, and the licenses inside it).
  { ...common, entryPoints: ['src/export.ts'], outfile: 'dist/export.js', format: 'iife', sourcemap: false, legalComments: 'eof' },
  { entryPoints: ['src/export.css'], outfile: 'dist/export.css', bundle: true, minify: true },
  { ...common, entryPoints: ['src/analytics/api.ts'], outfile: 'dist/analytics-api.js', format: 'esm' },
  { entryPoints: ['src/dashboard.css'], outfile: 'dist/dashboard.css', bundle: true, minify: true },
  { entryPoints: ['src/viewer.css'], outfile: 'dist/viewer.css', bundle: true, minify: true },
];
