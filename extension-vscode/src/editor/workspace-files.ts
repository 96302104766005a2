/** The workspace as frame mapping sees it, through VS Code's file search and file system (so remote workspaces work too). */
import * as vscode from 'vscode';
import type { WorkspaceFiles } from './frame-mapping.ts';

const EXCLUDE = '{**/node_modules/**,**/.git/**}';
const MAX_MATCHES = 200;

/** Escapes glob syntax in a file name. */
function globName(name: string): string {
  return name.replace(/[[\]{}*?!]/g, (c) => `[${c}]`);
}

/** The open workspace's folders and files. */
export function createWorkspaceFiles(): WorkspaceFiles {
  const decoder = new TextDecoder();
  return {
    get roots() {
      return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    },
    async findByName(name) {
      const uris = await vscode.workspace.findFiles(`**/${globName(name)}`, EXCLUDE, MAX_MATCHES);
      return uris.map((u) => u.fsPath);
    },
    async read(path) {
      try {
        return decoder.decode(await vscode.workspace.fs.readFile(vscode.Uri.file(path)));
      } catch {
        return undefined;
      }
    },
  };
}
