/** Handles deep links (`<scheme>://sentiero.sentiero/open?session=<id>&t=<ms>`) by opening the replay at that moment. */
import * as vscode from 'vscode';
import { parseOpenLink } from './deep-link.ts';
import { Command } from './ids.ts';
import type { OpenSessionArgs } from './commands/open-session.ts';

/** Registers the URI handler. */
export function registerUriHandler(): vscode.Disposable {
  return vscode.window.registerUriHandler({
    handleUri(uri) {
      const link = parseOpenLink(uri.path, uri.query);
      if ('problem' in link) {
        void vscode.window.showErrorMessage(`Sentiero: cannot open ${uri.toString(true)}: ${link.problem}`);
        return;
      }
      const args: OpenSessionArgs = link.t === undefined ? { sessionId: link.sessionId } : { sessionId: link.sessionId, t: link.t };
      void vscode.commands.executeCommand(Command.OPEN_SESSION, args);
    },
  });
}
