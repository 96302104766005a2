/** esbuild targets of @sentiero/viewer (see scripts/build.js). */
export default [
  { entryPoints: ['src/dashboard.ts'], outfile: 'dist/dashboard.js', bundle: true, format: 'esm', platform: 'browser', target: 'es2020', minify: true, sourcemap: true },
  { entryPoints: ['src/dashboard.css'], outfile: 'dist/dashboard.css', bundle: true, minify: true },
];
