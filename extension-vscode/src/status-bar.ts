/** The status bar item: how many sessions are live, and the connection's state; a click shows the sessions or connects. */
import * as vscode from 'vscode';
import type { ConnectionService } from './connection-service.ts';
import { Command, View } from './ids.ts';
import { statusBarText } from './relay/service-status.ts';

/** Creates the status bar item and keeps it current. */
export function createStatusBar(service: ConnectionService): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('sentiero.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Sentiero';
  const update = () => {
    const status = service.status;
    const { text, tooltip, problem } = statusBarText(status, service.connection?.liveCount ?? 0);
    item.text = text;
    item.tooltip = tooltip;
    item.backgroundColor = problem ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    item.command = status.kind === 'connected' || status.kind === 'connecting' || status.kind === 'unreachable'
      ? `${View.SESSIONS}.focus`
      : Command.CONNECT;
  };
  update();
  item.show();
  return vscode.Disposable.from(item, service.onDidChangeStatus(update), service.onDidChangeSessions(update));
}
