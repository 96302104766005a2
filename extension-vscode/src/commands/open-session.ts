/** `sentiero.openSession`: replays a session in a webview, optionally at a moment (`t` from its start, or `at` as a time). */
import * as vscode from 'vscode';
import { Command } from '../ids.ts';
import type { Services } from '../services.ts';
import { reportError } from './report-error.ts';

/** The argument of `sentiero.openSession` (a Sessions tree node fits, and so does a deep link's query). */
export interface OpenSessionArgs {
  sessionId: string;
  /** ms from the session's start. */
  t?: number;
  /** A time (ms since epoch) in the session, used when `t` is not given. */
  at?: number;
}

/** The `t` to open a session at: `t` itself, or `at` less the session's start (fetched when not listed). */
export async function offsetOf(services: Services, args: OpenSessionArgs): Promise<number | undefined> {
  if (args.t !== undefined) return args.t;
  if (args.at === undefined) return undefined;
  const conn = services.connection.connection;
  if (!conn) return undefined;
  const session = conn.session(args.sessionId) ?? (await conn.client.getSession(args.sessionId));
  return Math.max(0, args.at - session.startedAt);
}

/** Replays a session beside the code (a live one follows live when no moment is given); asked from the editor, the focus stays there. */
export async function openSession(services: Services, args: OpenSessionArgs, fromEditor = false): Promise<void> {
  try {
    const t = await offsetOf(services, args);
    services.panels.open(args.sessionId, t, fromEditor);
  } catch (err) {
    reportError(services, `could not open session ${args.sessionId}`, err);
  }
}

/** Registers the command. */
export function registerOpenSession(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.OPEN_SESSION, async (args?: OpenSessionArgs) => {
    if (!args?.sessionId) {
      const id = await vscode.window.showInputBox({ title: 'Sentiero: Replay Session', prompt: 'The session id' });
      if (!id) return;
      return openSession(services, { sessionId: id.trim() });
    }
    return openSession(services, args);
  });
}
