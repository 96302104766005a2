/** The Sessions view: the relay's sessions by day, newest first, live ones marked; a click replays one. */
import * as vscode from 'vscode';
import type { ConnectionService } from '../connection-service.ts';
import { Command, View, sessionContextValue } from '../ids.ts';
import { statusMessage } from '../relay/service-status.ts';
import type { OpenSessionArgs } from '../commands/open-session.ts';
import type { DayNode, SessionNode, SessionsTreeNode } from './nodes.ts';
import { dayText, groupSessionsByDay, sessionRowKey, sessionText } from './tree-model.ts';

/**
 * The tree data of the Sessions view. Nodes are kept between updates and a row is redrawn only
 * when what it shows changed (a live session changes every half second: redrawing it, or the
 * whole tree, that often would swallow clicks); the tree is redrawn when sessions or days come
 * or go.
 */
export class SessionsTreeProvider implements vscode.TreeDataProvider<SessionsTreeNode> {
  private readonly changed = new vscode.EventEmitter<SessionsTreeNode | undefined>();
  private days: DayNode[] = [];
  private nodes = new Map<string, { node: SessionNode; key: string }>();
  private shape = '';

  /** Fires when the tree, or one row, should be read again. */
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly service: ConnectionService) {}

  /** Takes the current sessions: redraws the rows that changed, or the whole tree when its shape changed. */
  update(): void {
    const groups = groupSessionsByDay(this.service.connection?.sessions ?? [], Date.now());
    const shape = groups.map((g) => `${g.label}:${g.sessions.map((s) => s.id).join(',')}`).join(';');
    const nodes = new Map<string, { node: SessionNode; key: string }>();
    const redraw: SessionNode[] = [];
    for (const g of groups) {
      for (const s of g.sessions) {
        const old = this.nodes.get(s.id);
        const key = sessionRowKey(s);
        const node = old?.node ?? { kind: 'session' as const, sessionId: s.id, session: s };
        if (old && old.key !== key) redraw.push(node);
        node.session = s;
        nodes.set(s.id, { node, key });
      }
    }
    this.nodes = nodes;
    const reshaped = shape !== this.shape || groups.some((g, i) => dayText(g).description !== dayText(this.days[i]!.group).description);
    this.shape = shape;
    if (reshaped) {
      this.days = groups.map((group) => ({ kind: 'day', group }));
      this.changed.fire(undefined);
    } else {
      groups.forEach((group, i) => { this.days[i]!.group = group; });
      for (const node of redraw) this.changed.fire(node);
    }
  }

  /** The days, or a day's sessions. */
  getChildren(node?: SessionsTreeNode): SessionsTreeNode[] {
    if (!node) return this.days;
    if (node.kind === 'day') return node.group.sessions.map((s) => this.nodes.get(s.id)!.node);
    return [];
  }

  /** A day or a session as a tree item. */
  getTreeItem(node: SessionsTreeNode): vscode.TreeItem {
    const now = Date.now();
    if (node.kind === 'day') {
      const text = dayText(node.group);
      const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `day:${node.group.key}`;
      item.description = text.description;
      item.tooltip = text.tooltip;
      item.contextValue = 'day';
      return item;
    }
    const s = node.session;
    const text = sessionText(s, now);
    const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.None);
    item.id = `session:${s.id}`;
    item.description = text.description;
    item.tooltip = text.tooltip;
    item.contextValue = sessionContextValue(s.live);
    if (s.live) item.iconPath = new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('charts.red'));
    else if (s.errorCount) item.iconPath = new vscode.ThemeIcon('history', new vscode.ThemeColor('list.errorForeground'));
    else item.iconPath = new vscode.ThemeIcon('history');
    const args: OpenSessionArgs = { sessionId: s.id };
    item.command = { command: Command.OPEN_SESSION, title: s.live ? 'Watch live' : 'Replay', arguments: [args] };
    return item;
  }
}

/** Creates the Sessions view; it says why it is empty, and counts live sessions in its description. */
export function createSessionsView(service: ConnectionService): vscode.Disposable {
  const provider = new SessionsTreeProvider(service);
  const view = vscode.window.createTreeView(View.SESSIONS, { treeDataProvider: provider, showCollapseAll: true });
  const update = () => {
    const status = service.status;
    const sessions = service.connection?.sessions ?? [];
    const problem = statusMessage(status);
    // '' rather than undefined: VS Code keeps the previous message when it is set to undefined.
    view.message = problem ?? (status.kind === 'connected' && !sessions.length ? 'No sessions recorded yet.' : '');
    const live = service.connection?.liveCount ?? 0;
    view.description = status.kind === 'connected' && live ? `${live} live` : undefined;
  };
  provider.update();
  update();
  return vscode.Disposable.from(
    view,
    service.onDidChangeSessions(() => { provider.update(); update(); }),
    service.onDidChangeStatus(() => { provider.update(); update(); }),
  );
}
