/** esbuild targets of @sentiero/protocol (see scripts/build.js). */
export default [
  { entryPoints: ['src/index.ts'], outfile: 'dist/index.js', bundle: true, format: 'esm', platform: 'neutral', target: 'es2020', sourcemap: true },
];
