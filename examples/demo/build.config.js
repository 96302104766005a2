/** esbuild targets of the demo (see scripts/build.js): the page's script, minified, with a source map the relay reads from `dist/`. */
export default [
  {
    entryPoints: ['public/app.js'], outfile: 'dist/assets/app.min.js', bundle: true, format: 'iife', platform: 'browser',
    target: 'es2019', minify: true, sourcemap: true, legalComments: 'none',
  },
];
