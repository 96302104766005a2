/** `sentiero.showErrorSessions`: every session an error group happened in, to pick one and replay that moment. */
import * as vscode from 'vscode';
import { errorTitle } from '../format.ts';
import { Command } from '../ids.ts';
import type { Services } from '../services.ts';
import { errorSessionText } from '../views/tree-model.ts';
import { groupIdOf } from './error-target.ts';
import { reportError } from './report-error.ts';
import { openSession } from './open-session.ts';

/** Registers the command. */
export function registerShowErrorSessions(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.SHOW_ERROR_SESSIONS, async (arg?: unknown) => {
    const groupId = groupIdOf(arg);
    const conn = services.connection.connection;
    if (!groupId || !conn) return;
    try {
      const detail = await conn.client.getErrorGroup(groupId, { occurrences: 1 });
      const now = Date.now();
      const items = detail.sessions.map((s) => {
        const text = errorSessionText(s, now, conn.session(s.sessionId));
        return { label: `$(play-circle) ${text.label}`, description: text.description, detail: s.sessionId, session: s };
      });
      if (!items.length) {
        void vscode.window.showInformationMessage(`Sentiero: "${errorTitle(detail, 80)}" has no recorded session.`);
        return;
      }
      const picked = await vscode.window.showQuickPick(items, {
        title: `${errorTitle(detail, 80)} — ${detail.count}× in ${detail.sessionCount} sessions`,
        placeHolder: 'Pick a session to replay the last time it happened there',
        matchOnDetail: true,
      });
      if (picked) await openSession(services, { sessionId: picked.session.sessionId, at: picked.session.lastSeen }, !!vscode.window.activeTextEditor);
    } catch (err) {
      reportError(services, 'could not load the error', err);
    }
  });
}
