/** esbuild targets of the `sentiero` umbrella package (see scripts/build.js): its API (re-exports) and the `sentiero` command. */
const node = { bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', sourcemap: true };

export default [
  { ...node, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' },
  { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js' },
];
