/**
 * The Errors view: the relay's error groups with counts, sessions affected, last seen and
 * status; expanding a group lists its sessions (a click replays the moment); the context
 * menu changes its status; a click on a group opens the line that threw, when it is in the
 * workspace.
 */
import * as vscode from 'vscode';
import type { ErrorGroup, ErrorGroupDetail } from '@sentiero/protocol';
import type { ConnectionService } from '../connection-service.ts';
import type { ErrorLocations } from '../editor/error-locations.ts';
import { Command, View, errorGroupContextValue } from '../ids.ts';
import { statusMessage } from '../relay/service-status.ts';
import type { OpenSessionArgs } from '../commands/open-session.ts';
import type { ErrorGroupNode, ErrorsTreeNode } from './nodes.ts';
import { errorGroupText, errorSessionText, statusIcon } from './tree-model.ts';

const STATUS_COLOR: Record<string, string> = {
  unresolved: 'list.errorForeground',
  regressed: 'list.warningForeground',
  resolved: 'testing.iconPassed',
  ignored: 'disabledForeground',
};

/** What a group row shows; when none of it changed, the row is not redrawn. */
function rowKey(g: ErrorGroup): string {
  return [g.status, g.count, g.sessionCount, g.lastSeen].join('|');
}

/** The tree data of the Errors view; like the Sessions view, it redraws only the rows that changed while the list keeps its order. */
export class ErrorsTreeProvider implements vscode.TreeDataProvider<ErrorsTreeNode> {
  private readonly changed = new vscode.EventEmitter<ErrorsTreeNode | undefined>();
  private readonly details = new Map<string, Promise<ErrorGroupDetail>>();
  private nodes = new Map<string, { node: ErrorGroupNode; key: string }>();
  private order = '';

  /** Fires when the tree, or one row, should be read again. */
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly service: ConnectionService, private readonly locations: ErrorLocations) {}

  /** Takes the current groups: redraws the rows that changed, or the whole tree when groups came, went or moved. */
  update(): void {
    const groups = this.service.connection?.errorGroups ?? [];
    const order = groups.map((g) => g.id).join(',');
    const nodes = new Map<string, { node: ErrorGroupNode; key: string }>();
    const redraw: ErrorGroupNode[] = [];
    for (const g of groups) {
      const old = this.nodes.get(g.id);
      const key = rowKey(g);
      const node = old?.node ?? { kind: 'error-group' as const, groupId: g.id };
      if (old && old.key !== key) redraw.push(node);
      nodes.set(g.id, { node, key });
    }
    this.nodes = nodes;
    if (order !== this.order) {
      this.order = order;
      this.changed.fire(undefined);
    } else {
      for (const node of redraw) this.changed.fire(node);
    }
  }

  /** Reads the whole tree again (and forgets the groups' session lists). */
  refresh(): void {
    this.details.clear();
    this.changed.fire(undefined);
  }

  /** The groups, or the sessions of one. */
  async getChildren(node?: ErrorsTreeNode): Promise<ErrorsTreeNode[]> {
    const conn = this.service.connection;
    if (!conn) return [];
    if (!node) return [...this.nodes.values()].map((n) => n.node);
    if (node.kind !== 'error-group') return [];
    const group = conn.errorGroup(node.groupId);
    const key = `${node.groupId}:${group?.count ?? 0}`;
    let detail = this.details.get(key);
    if (!detail) {
      detail = conn.client.getErrorGroup(node.groupId, { occurrences: 1 });
      this.details.set(key, detail);
    }
    try {
      const d = await detail;
      return d.sessions.map((occurrence) => ({ kind: 'error-session', groupId: node.groupId, sessionId: occurrence.sessionId, occurrence }));
    } catch (err) {
      this.details.delete(key);
      return [{ kind: 'note', id: `note:${node.groupId}`, text: `Could not load the sessions: ${err instanceof Error ? err.message : String(err)}` }];
    }
  }

  /** A group, one of its sessions, or a note as a tree item. */
  getTreeItem(node: ErrorsTreeNode): vscode.TreeItem {
    const now = Date.now();
    if (node.kind === 'note') {
      const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
      item.id = node.id;
      return item;
    }
    if (node.kind === 'error-session') {
      const text = errorSessionText(node.occurrence, now, this.service.connection?.session(node.sessionId));
      const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.None);
      item.id = `error-session:${node.groupId}:${node.sessionId}`;
      item.description = text.description;
      item.tooltip = text.tooltip;
      item.iconPath = new vscode.ThemeIcon('play-circle');
      item.contextValue = 'errorSession';
      const args: OpenSessionArgs = { sessionId: node.sessionId, at: node.occurrence.lastSeen };
      item.command = { command: Command.OPEN_SESSION, title: 'Replay the moment', arguments: [args] };
      return item;
    }
    const group = this.service.connection?.errorGroup(node.groupId);
    if (!group) return new vscode.TreeItem(node.groupId);
    const text = errorGroupText(group, now);
    const item = new vscode.TreeItem(text.label, group.sessionCount ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `error-group:${group.id}`;
    item.description = text.description;
    const located = this.locations.ofGroup(group.id);
    item.tooltip = located ? `${text.tooltip}\nIn the workspace: ${vscode.workspace.asRelativePath(located.uri)}:${located.location.line}` : text.tooltip;
    item.iconPath = new vscode.ThemeIcon(statusIcon(group.status), new vscode.ThemeColor(STATUS_COLOR[group.status] ?? 'foreground'));
    item.contextValue = errorGroupContextValue(group.status);
    if (located) {
      const pos = new vscode.Position(located.location.line - 1, located.location.column - 1);
      item.command = { command: 'vscode.open', title: 'Open the line that threw', arguments: [located.uri, { selection: new vscode.Range(pos, pos) }] };
    }
    return item;
  }
}

/** Creates the Errors view; it says why it is empty, and counts open groups in its description. */
export function createErrorsView(service: ConnectionService, locations: ErrorLocations): vscode.Disposable {
  const provider = new ErrorsTreeProvider(service, locations);
  const view = vscode.window.createTreeView(View.ERRORS, { treeDataProvider: provider, showCollapseAll: true });
  const update = () => {
    const status = service.status;
    const conn = service.connection;
    const groups = conn?.errorGroups ?? [];
    const problem = statusMessage(status);
    let message = problem;
    if (!message && status.kind === 'connected' && conn && !conn.hasErrors) message = 'This relay has no error tracking.';
    else if (!message && status.kind === 'connected' && !groups.length) message = 'No errors recorded.';
    // '' rather than undefined: VS Code keeps the previous message when it is set to undefined.
    view.message = message ?? '';
    const open = groups.filter((g) => g.status === 'unresolved' || g.status === 'regressed').length;
    view.description = status.kind === 'connected' && open ? `${open} open` : undefined;
  };
  provider.update();
  update();
  return vscode.Disposable.from(
    view,
    service.onDidChangeErrors(() => { provider.update(); update(); }),
    service.onDidChangeStatus(() => { provider.update(); update(); }),
    locations.onDidChange(() => provider.refresh()),
  );
}
