/** `sentiero.connect`: asks for the relay's URL, then its viewer token (kept in SecretStorage), and connects. */
import * as vscode from 'vscode';
import { normalizeRelayUrl, relayUrlProblem } from '../config.ts';
import { Command, View } from '../ids.ts';
import type { Services } from '../services.ts';

/** The URL offered when none is set: the demo's (`npm start`). */
const SUGGESTED_URL = 'http://127.0.0.1:3000/sentiero';

/** Registers the command. */
export function registerConnect(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.CONNECT, async () => {
    const current = services.settings.current.relayUrl;
    const url = await vscode.window.showInputBox({
      title: 'Sentiero: Connect to Relay (1/2)',
      prompt: 'The relay\'s base URL',
      value: current || SUGGESTED_URL,
      ignoreFocusOut: true,
      validateInput: (text) => relayUrlProblem(text),
    });
    if (url === undefined) return;
    const relayUrl = normalizeRelayUrl(url);
    const token = await vscode.window.showInputBox({
      title: 'Sentiero: Connect to Relay (2/2)',
      prompt: `The viewer token of ${relayUrl} (npm start prints it; it is kept in VS Code's secret storage)`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (text) => (text.trim() ? undefined : 'The token cannot be empty'),
    });
    if (token === undefined) return;
    await services.connection.connect(relayUrl, token.trim());
    await vscode.commands.executeCommand(`workbench.view.extension.${View.CONTAINER}`);
  });
}
