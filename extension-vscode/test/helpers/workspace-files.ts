/** `WorkspaceFiles` for tests: real folders on disk, or an in-memory tree with Windows or POSIX paths. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { WorkspaceFiles } from '../../src/editor/frame-mapping.ts';
import { comparablePath } from '../../src/editor/paths.ts';

/** The files under real folders, found by walking them (node_modules left out, as the extension does). */
export function diskWorkspace(roots: string[]): WorkspaceFiles & { lookups: string[] } {
  const lookups: string[] = [];
  const walk = (dir: string, out: string[]) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === '.git') continue;
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p, out);
      else out.push(p);
    }
    return out;
  };
  return {
    roots,
    lookups,
    async findByName(name) {
      lookups.push(name);
      return roots.flatMap((r) => walk(r, [])).filter((p) => path.basename(p) === name);
    },
    async read(p) {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

/** An in-memory workspace: `files` maps a path (any spelling) to its text. */
export function memoryWorkspace(roots: string[], files: Record<string, string>): WorkspaceFiles {
  const byKey = new Map(Object.entries(files).map(([p, text]) => [comparablePath(p), { p, text }]));
  return {
    roots,
    async findByName(name) {
      return [...byKey.values()].map((f) => f.p).filter((p) => p.replace(/\\/g, '/').split('/').pop() === name);
    },
    async read(p) {
      return byKey.get(comparablePath(p))?.text;
    },
  };
}
