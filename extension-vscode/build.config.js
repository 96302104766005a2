/**
 * esbuild targets of the VS Code extension (see scripts/build.js): the extension host bundle
 * (CommonJS for Node, `vscode` external) and the replay webview (the shell with the viewer,
 * and their styles). `after()` then packages everything into `sentiero-<version>.vsix` with
 * @vscode/vsce; a packaging error fails the build.
 */
import { execFile } from 'node:child_process';
import { readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));

export default [
  {
    entryPoints: ['src/extension.ts'], outfile: 'dist/extension.cjs', bundle: true, format: 'cjs', platform: 'node',
    target: 'node20', external: ['vscode'], conditions: ['development'], sourcemap: true, minify: true, legalComments: 'none',
  },
  {
    entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview/shell.js', bundle: true, format: 'iife', platform: 'browser',
    target: 'es2020', conditions: ['development'], sourcemap: true, minify: true, legalComments: 'none',
  },
  // The viewer's stylesheet (its `viewer.css` export) and the page's own, in one file.
  { entryPoints: ['src/webview/webview.css'], outfile: 'dist/webview/webview.css', bundle: true, minify: true, conditions: ['development'] },
];

/** Packages the bundles into `sentiero-<version>.vsix` (offline: no dependency scan, no repository or license checks). */
export async function after() {
  const { name, version } = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8'));
  const out = path.join(here, `${name}-${version}.vsix`);
  // Packaged under another name, then renamed: a reader never sees a half-written or missing package.
  const partial = `${out}.${process.pid}.partial.vsix`;
  const vsce = path.join(here, '..', 'node_modules', '@vscode', 'vsce', 'vsce');
  try {
    await promisify(execFile)(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', partial], { cwd: here });
    renameSync(partial, out);
  } finally {
    rmSync(partial, { force: true });
  }
  return `${path.basename(out)} (${Math.round(statSync(out).size / 1024)} KiB)`;
}
