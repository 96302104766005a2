/** A hover on a line that threw: what the diagnostic does not say (status, counts, first and last occurrence) and the replay links. */
import * as vscode from 'vscode';
import { hoverText } from '../format.ts';
import { Command } from '../ids.ts';
import type { ErrorTarget } from '../commands/error-target.ts';
import type { ErrorLocations } from './error-locations.ts';

function commandLink(title: string, command: string, arg: ErrorTarget): string {
  return `[${title}](command:${command}?${encodeURIComponent(JSON.stringify([arg]))})`;
}

/** Registers the hover provider for every file. */
export function createErrorHover(locations: ErrorLocations): vscode.Disposable {
  return vscode.languages.registerHoverProvider({ scheme: 'file' }, {
    provideHover(document, position) {
      const here = locations.onLine(document.uri, position.line);
      if (!here.length) return undefined;
      const now = Date.now();
      const parts = here.map(({ group }) => {
        const md = new vscode.MarkdownString(undefined, true);
        md.isTrusted = { enabledCommands: [Command.REPLAY_LAST, Command.SHOW_ERROR_SESSIONS] };
        const text = hoverText(group, now);
        md.appendMarkdown('$(error) **Sentiero** · ');
        md.appendText(text.head);
        md.appendMarkdown('\n\n');
        md.appendText(text.counts);
        md.appendMarkdown(`\n\n$(play-circle) ${commandLink('Replay last', Command.REPLAY_LAST, { groupId: group.id })} · ${commandLink(text.showAll, Command.SHOW_ERROR_SESSIONS, { groupId: group.id })}`);
        return md;
      });
      const line = document.lineAt(position.line).range;
      return new vscode.Hover(parts, line);
    },
  });
}
