/** `sentiero.refresh`: lists sessions and errors again (after a failure, also tries the connection again). */
import * as vscode from 'vscode';
import { Command } from '../ids.ts';
import type { Services } from '../services.ts';

/** Registers the command. */
export function registerRefresh(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.REFRESH, async () => {
    const conn = services.connection.connection;
    const status = services.connection.status.kind;
    if (!conn || status === 'unauthorized') return services.connection.reconnect();
    return conn.refresh();
  });
}
