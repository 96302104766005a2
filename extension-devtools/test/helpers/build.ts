/** Builds the extension into `dist/chrome` and `dist/firefox` from `build.config.js`, as `node scripts/build.js extension-devtools` does. */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The extension's folder. */
export const EXTENSION_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The unpacked Chromium build. */
export const CHROME_DIST = path.join(EXTENSION_DIR, 'dist', 'chrome');
/** The unpacked Firefox build. */
export const FIREFOX_DIST = path.join(EXTENSION_DIR, 'dist', 'firefox');

let built: Promise<void> | undefined;

/** Builds once per test run. */
export function buildExtension(): Promise<void> {
  built ??= (async () => {
    const { default: targets } = (await import(path.join(EXTENSION_DIR, 'build.config.js'))) as { default: Array<Record<string, unknown>> };
    await Promise.all(targets.map((t) => build({ logLevel: 'warning', absWorkingDir: EXTENSION_DIR, ...t })));
  })();
  return built;
}
