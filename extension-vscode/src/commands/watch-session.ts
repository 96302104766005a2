/** `sentiero.watchSession`: follows a live session as it happens (the viewer falls back to replay when it ends). */
import * as vscode from 'vscode';
import { Command } from '../ids.ts';
import type { Services } from '../services.ts';
import type { OpenSessionArgs } from './open-session.ts';

/** Registers the command. */
export function registerWatchSession(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.WATCH_SESSION, (args?: OpenSessionArgs) => {
    if (!args?.sessionId) return;
    services.panels.open(args.sessionId, undefined);
  });
}
