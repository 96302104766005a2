/**
 * esbuild target of the DevTools extension (see scripts/build.js): one bundle per page
 * (DevTools page, panel, options) into dist/chrome. When the bundles are written, the same
 * build copies the static files, writes each browser's manifest, makes dist/firefox from
 * dist/chrome, and zips both (source maps stay out of the zips).
 */
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const pkg = JSON.parse(await readFile(path.join(here, 'package.json'), 'utf8'));

/** The Firefox add-on id (`browser_specific_settings.gecko.id`). */
export const GECKO_ID = 'devtools@sentiero.dev';

/**
 * The manifest for a browser. Permissions: `storage` only (the viewer tokens). No host
 * permissions: the relay's REST answers CORS with `*` and takes the token as a bearer, and
 * WebSockets are not subject to CORS (see README.md).
 */
export function manifest(browser) {
  const m = {
    manifest_version: 3,
    name: 'Sentiero',
    version: pkg.version,
    description: 'Replay and live-watch the inspected page\'s own Sentiero session, and its errors, in a DevTools panel.',
    icons: { 16: 'icons/icon-16.png', 32: 'icons/icon-32.png', 48: 'icons/icon-48.png', 128: 'icons/icon-128.png' },
    devtools_page: 'devtools.html',
    options_ui: { page: 'options.html', open_in_tab: true },
    permissions: ['storage'],
    // Firefox's MV3 default adds upgrade-insecure-requests, which would turn a relay on http://dev-box:3000 into https.
    content_security_policy: { extension_pages: "script-src 'self'; object-src 'self'" },
  };
  if (browser === 'firefox') {
    m.browser_specific_settings = { gecko: { id: GECKO_ID, strict_min_version: '128.0', data_collection_permissions: { required: ['none'] } } };
  } else {
    m.minimum_chrome_version = '120';
  }
  return m;
}

async function filesOf(dir, base = dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await filesOf(full, base));
    else out.push(path.relative(base, full).split(path.sep).join('/'));
  }
  return out.sort();
}

async function zip(dir, file) {
  const entries = {};
  for (const name of await filesOf(dir)) {
    if (name.endsWith('.map')) continue;
    entries[name] = [await readFile(path.join(dir, name)), { mtime: new Date('2025-01-01T00:00:00Z') }];
  }
  await writeFile(file, zipSync(entries, { level: 9 }));
}

/** Runs after the bundles are written: static files, manifests, the Firefox copy, the zips. */
const packageExtension = {
  name: 'sentiero-extension-package',
  setup(build) {
    build.onStart(() => rm(dist, { recursive: true, force: true }));
    build.onEnd(async (result) => {
      if (result.errors.length) return;
      const chrome = path.join(dist, 'chrome');
      const firefox = path.join(dist, 'firefox');
      await cp(path.join(here, 'static'), chrome, { recursive: true, filter: (src) => !src.endsWith('.svg') });
      await writeFile(path.join(chrome, 'manifest.json'), `${JSON.stringify(manifest('chrome'), null, 2)}\n`);
      await rm(firefox, { recursive: true, force: true });
      await cp(chrome, firefox, { recursive: true });
      await writeFile(path.join(firefox, 'manifest.json'), `${JSON.stringify(manifest('firefox'), null, 2)}\n`);
      await mkdir(dist, { recursive: true });
      await zip(chrome, path.join(dist, `sentiero-devtools-${pkg.version}-chrome.zip`));
      await zip(firefox, path.join(dist, `sentiero-devtools-${pkg.version}-firefox.zip`));
    });
  },
};

export default [
  {
    entryPoints: { devtools: 'src/devtools.ts', panel: 'src/panel.ts', options: 'src/options.ts' },
    outdir: 'dist/chrome',
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome120', 'firefox128'],
    // The sibling packages are bundled from their sources, so this build does not wait for theirs.
    conditions: ['development'],
    minify: true,
    sourcemap: true,
    legalComments: 'eof',
    plugins: [packageExtension],
  },
];
