/**
 * The replay webviews: one panel per session, each running `@sentiero/viewer` in its shell.
 * The extension hands over the relay and token when the shell boots, then speaks the viewer's
 * typed host messages (navigate, set-connection, set-theme) and handles what the viewer asks
 * (open a stack frame's source, copy, auth failures). Panels survive a window reload through
 * the serializer, which gets back only the route (never the token).
 */
import * as vscode from 'vscode';
import type { SessionSummary } from '@sentiero/protocol';
import { type HostToViewer, type Theme, type ViewerToHost, toEnvelope, viewerMessageOf } from '@sentiero/viewer/host';
import type { ConnectionService } from '../connection-service.ts';
import type { ErrorLocations } from '../editor/error-locations.ts';
import { replayTitle } from '../format.ts';
import { Command, REPLAY_VIEW_TYPE } from '../ids.ts';
import { createNonce, replayHtml } from './html.ts';
import { type Layout, type Placement, replayColumn, revealColumn } from './placement.ts';
import {
  type ExtensionToShell, type ShellToExtension, replayPanelStateOf, sessionOfRoute, sessionRoute, shellMessageOf, toShellEnvelope,
} from './shell-protocol.ts';

type Handlers<M extends { t: string }> = { [K in M['t']]: (message: Extract<M, { t: K }>) => void | Promise<void> };

function themeOf(kind: vscode.ColorThemeKind): Theme {
  return kind === vscode.ColorThemeKind.Light || kind === vscode.ColorThemeKind.HighContrastLight ? 'light' : 'dark';
}

/** One replay panel and its conversation with the webview. */
class ReplayPanel implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly viewerHandlers: Handlers<ViewerToHost>;
  private readonly shellHandlers: Handlers<ShellToExtension>;
  private booted = false;
  /** The relay URL the page's CSP lets it connect to. */
  renderedFor = '';

  constructor(readonly panel: vscode.WebviewPanel, private route: string, private readonly owner: ReplayPanels) {
    this.viewerHandlers = {
      ready: () => {},
      route: (m) => {
        this.route = m.route;
        this.updateTitle();
      },
      'auth-failed': async (m) => {
        this.owner.log.warn(`replay ${this.sessionId ?? ''}: ${m.message}`);
        const pick = await vscode.window.showWarningMessage(`Sentiero: ${m.message}`, 'Connect to Relay');
        if (pick) await vscode.commands.executeCommand(Command.CONNECT);
      },
      'relay-unreachable': (m) => this.owner.log.warn(`replay ${this.sessionId ?? ''}: ${m.message}`),
      connection: () => {},
      'open-source': (m) => this.owner.openSource(m.url, m.line, m.column),
      copy: async (m) => { await vscode.env.clipboard.writeText(m.text); },
      'sign-out': () => {},
      export: async (m) => { await vscode.commands.executeCommand(Command.EXPORT_SESSION, m.sessionId); },
    };
    this.shellHandlers = {
      boot: async () => {
        this.booted = true;
        await this.start();
      },
    };
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((data: unknown) => this.receive(data)),
      panel.onDidDispose(() => {
        this.dispose();
        owner.forget(this);
      }),
    );
    this.updateTitle();
  }

  /** The session the panel shows, if any. */
  get sessionId(): string | undefined {
    return sessionOfRoute(this.route);
  }

  /** Shows a route (a session at a moment) and brings the panel to the front, moved beside the code when it would cover it. */
  show(route: string, preserveFocus: boolean): void {
    this.route = route;
    this.updateTitle();
    this.panel.reveal(columnOf(revealColumn(this.panel.viewColumn, this.owner.layout(this))), preserveFocus);
    if (this.booted) this.postViewer({ t: 'navigate', route });
  }

  /** Hands the relay and token to the shell (again, after the connection changed). */
  async start(): Promise<void> {
    const relayUrl = this.owner.relayUrl();
    const token = relayUrl ? await this.owner.token() : undefined;
    if (!relayUrl || !token) {
      this.postShell({ t: 'unavailable', message: 'Not connected to a relay: run "Sentiero: Connect to Relay".' });
      return;
    }
    this.postShell({ t: 'start', relayUrl, token, route: this.route, theme: themeOf(vscode.window.activeColorTheme.kind) });
  }

  /** Sends a message to the viewer. */
  postViewer(message: HostToViewer): void {
    void this.panel.webview.postMessage(toEnvelope('sentiero-host', message));
  }

  /** Notes that the page is being loaded again (it will boot again). */
  reloading(relayUrl: string): void {
    this.booted = false;
    this.renderedFor = relayUrl;
  }

  /** Stops listening. */
  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  private postShell(message: ExtensionToShell): void {
    void this.panel.webview.postMessage(toShellEnvelope(message));
  }

  private receive(data: unknown): void {
    const fromViewer = viewerMessageOf(data);
    if (fromViewer) {
      const handle = this.viewerHandlers[fromViewer.t] as (m: ViewerToHost) => void | Promise<void>;
      void handle(fromViewer);
      return;
    }
    const fromShell = shellMessageOf(data);
    if (fromShell) void this.shellHandlers[fromShell.t](fromShell);
  }

  /** Names the tab after the session (its pages, start and length) once it is known. */
  updateTitle(): void {
    const id = this.sessionId;
    const title = id ? replayTitle(id, this.owner.summary(id)) : 'Sentiero Sessions';
    // Sessions change every half second while one is live: the tab is touched only when its title does.
    if (this.panel.title !== title) this.panel.title = title;
  }
}

function columnOf(p: Placement | undefined): vscode.ViewColumn | undefined {
  return p === 'active' ? vscode.ViewColumn.Active : p;
}

/** The replay panels of this window, and their serializer. */
export class ReplayPanels implements vscode.Disposable, vscode.WebviewPanelSerializer {
  private readonly panels = new Set<ReplayPanel>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly root: vscode.Uri;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: ConnectionService,
    private readonly locations: ErrorLocations,
    /** Where the panels log what the viewer reports. */
    readonly log: vscode.LogOutputChannel,
  ) {
    this.root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    this.subscriptions.push(
      service.onDidChangeConnection(() => {
        // The page's CSP names the relay: another relay needs the page made again.
        for (const p of this.panels) {
          if (p.renderedFor !== (this.relayUrl() ?? '')) this.render(p);
          else void p.start();
        }
      }),
      service.onDidChangeSessions(() => {
        for (const p of this.panels) p.updateTitle();
      }),
      vscode.window.onDidChangeActiveColorTheme((theme) => {
        for (const p of this.panels) p.postViewer({ t: 'set-theme', theme: themeOf(theme.kind) });
      }),
    );
  }

  /**
   * Opens (or brings forward) the replay of a session, at `t` ms from its start when given,
   * always beside the code (whichever command asked); `preserveFocus` keeps the focus in the editor.
   */
  open(sessionId: string, t: number | undefined, preserveFocus = false): void {
    const route = sessionRoute(sessionId, t);
    this.log.info(`replay ${route}`);
    const existing = [...this.panels].find((p) => p.sessionId === sessionId);
    if (existing) {
      existing.show(route, preserveFocus);
      return;
    }
    const column = columnOf(replayColumn(this.layout()))!;
    const panel = vscode.window.createWebviewPanel(REPLAY_VIEW_TYPE, replayTitle(sessionId, this.summary(sessionId)), { viewColumn: column, preserveFocus }, {
      enableScripts: true, localResourceRoots: [this.root], retainContextWhenHidden: true,
    });
    this.adopt(panel, route);
  }

  /** Where the code and the replays are now (`except` a panel being moved). */
  layout(except?: ReplayPanel): Layout {
    const codeColumn = vscode.window.activeTextEditor?.viewColumn ?? vscode.window.visibleTextEditors.find((e) => e.viewColumn !== undefined)?.viewColumn;
    const replayColumns = [...this.panels].filter((p) => p !== except).map((p) => p.panel.viewColumn).filter((c): c is vscode.ViewColumn => c !== undefined);
    return { ...(codeColumn !== undefined ? { codeColumn } : {}), replayColumns };
  }

  /** The session's summary when the relay listed it (for the tab's title). */
  summary(sessionId: string): SessionSummary | undefined {
    return this.service.connection?.session(sessionId);
  }

  /** Restores a panel after a window reload, at the route it had. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    this.adopt(panel, replayPanelStateOf(state)?.route ?? '#/sessions');
  }

  /** The relay's URL, when connected to one. */
  relayUrl(): string | undefined {
    const s = this.service.status;
    return 'relayUrl' in s ? s.relayUrl : undefined;
  }

  /** The stored token of the relay. */
  token(): Promise<string | undefined> {
    return this.service.token();
  }

  /** Opens a stack frame's file at its line when it is in the workspace. */
  async openSource(url: string, line: number, column?: number): Promise<void> {
    const loc = await this.locations.resolve({ file: url, line, ...(column ? { column } : {}) });
    if (!loc) {
      void vscode.window.showInformationMessage(`Sentiero: ${url}:${line} is not a file of this workspace.`);
      return;
    }
    const pos = new vscode.Position(loc.line - 1, loc.column - 1);
    await vscode.window.showTextDocument(vscode.Uri.file(loc.path), { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.One });
  }

  /** Forgets a panel that was closed. */
  forget(panel: ReplayPanel): void {
    this.panels.delete(panel);
  }

  /** Closes every panel. */
  dispose(): void {
    for (const p of this.panels) {
      p.dispose();
      p.panel.dispose();
    }
    this.panels.clear();
    for (const s of this.subscriptions) s.dispose();
  }

  private adopt(panel: vscode.WebviewPanel, route: string): void {
    panel.webview.options = { enableScripts: true, localResourceRoots: [this.root] };
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'sentiero.svg');
    const replay = new ReplayPanel(panel, route, this);
    this.panels.add(replay);
    this.render(replay);
  }

  private render(replay: ReplayPanel): void {
    const webview = replay.panel.webview;
    const relayUrl = this.relayUrl() ?? '';
    replay.reloading(relayUrl);
    webview.html = replayHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.root, 'shell.js')).toString(),
      styleUris: [webview.asWebviewUri(vscode.Uri.joinPath(this.root, 'webview.css')).toString()],
      relayUrl,
      title: replay.panel.title,
    });
  }
}
