/**
 * The folders scripts/build.js and scripts/pack.js work on. `sentiero/` (the umbrella package)
 * is not an npm workspace: the VS Code extension's manifest already holds the name `sentiero`
 * (its extension id is `sentiero.sentiero`), and workspace names must be unique.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The packages `npm run pack` writes tarballs of, dependencies first. */
export const PUBLISHED = ['protocol', 'storage', 'recorder', 'relay', 'viewer', 'sentiero'];

/** Named sets of folders to build: `node scripts/build.js demo`. */
export const TARGETS = {
  /** What `npm start` needs: the bundles the relay serves (recorder, dashboard) and the demo page's script. */
  demo: ['recorder', 'viewer', 'examples/demo'],
  /** What `npm run pack` needs. */
  packages: PUBLISHED,
};

/** Every folder that may have a `build.config.js`: the workspaces and the umbrella package. */
export async function buildFolders() {
  const { workspaces } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  return [...workspaces, 'sentiero'];
}
