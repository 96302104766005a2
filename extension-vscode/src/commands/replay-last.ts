/** `sentiero.replayLast`: replays the last session an error group happened in, at the moment it happened. */
import * as vscode from 'vscode';
import { Command } from '../ids.ts';
import type { Services } from '../services.ts';
import { groupIdOf } from './error-target.ts';
import { reportError } from './report-error.ts';
import { openSession } from './open-session.ts';

/** Registers the command. */
export function registerReplayLast(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.REPLAY_LAST, async (arg?: unknown) => {
    const groupId = groupIdOf(arg);
    const conn = services.connection.connection;
    if (!groupId || !conn) return;
    try {
      const detail = await conn.client.getErrorGroup(groupId, { occurrences: 20 });
      const occurrence = detail.occurrences.find((o) => o.sessionId);
      if (occurrence?.sessionId) return openSession(services, { sessionId: occurrence.sessionId, at: occurrence.timestamp }, !!vscode.window.activeTextEditor);
      const session = detail.sessions[0];
      if (session) return openSession(services, { sessionId: session.sessionId, at: session.lastSeen }, !!vscode.window.activeTextEditor);
      void vscode.window.showInformationMessage(`Sentiero: "${detail.name}" has no recorded session to replay (it happened outside any recorded visit).`);
    } catch (err) {
      reportError(services, 'could not load the error', err);
    }
  });
}
