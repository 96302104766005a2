/** `sentiero.disconnect`: forgets the relay's URL and token. */
import * as vscode from 'vscode';
import { Command } from '../ids.ts';
import type { Services } from '../services.ts';

/** Registers the command. */
export function registerDisconnect(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.DISCONNECT, () => services.connection.disconnect());
}
