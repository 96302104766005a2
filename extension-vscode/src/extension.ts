/**
 * The Sentiero extension's entry point. `activate()` only wires things together: services,
 * views, editor features, commands, the webview serializer and the URI handler, each pushed
 * onto `context.subscriptions` so that VS Code disposes all of it.
 */
import * as vscode from 'vscode';
import { registerConnect } from './commands/connect.ts';
import { registerDisconnect } from './commands/disconnect.ts';
import { registerExportSession } from './commands/export-session.ts';
import { registerIgnoreError } from './commands/ignore-error.ts';
import { registerOpenSession } from './commands/open-session.ts';
import { registerRefresh } from './commands/refresh.ts';
import { registerReopenError } from './commands/reopen-error.ts';
import { registerReplayLast } from './commands/replay-last.ts';
import { registerResolveError } from './commands/resolve-error.ts';
import { registerShowErrorSessions } from './commands/show-error-sessions.ts';
import { registerWatchSession } from './commands/watch-session.ts';
import { ConnectionService } from './connection-service.ts';
import { createErrorCodeLens } from './editor/code-lens.ts';
import { createErrorDiagnostics } from './editor/diagnostics.ts';
import { ErrorLocations } from './editor/error-locations.ts';
import { createErrorHover } from './editor/hover.ts';
import { createTrackCodeLens } from './editor/track-lens.ts';
import { REPLAY_VIEW_TYPE } from './ids.ts';
import type { Services } from './services.ts';
import { Settings } from './settings.ts';
import { createStatusBar } from './status-bar.ts';
import { registerUriHandler } from './uri-handler.ts';
import { createErrorsView } from './views/errors-view.ts';
import { createSessionsView } from './views/sessions-view.ts';
import { ReplayPanels } from './webview/replay-panels.ts';

/** Wires the extension up. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Sentiero', { log: true });
  const settings = new Settings();
  const connection = new ConnectionService(context.secrets, settings, log);
  const locations = new ErrorLocations(connection, settings);
  const panels = new ReplayPanels(context.extensionUri, connection, locations, log);
  const services: Services = { context, settings, connection, locations, panels, log };
  context.subscriptions.push(
    log, settings, connection, locations, panels,
    createSessionsView(connection),
    createErrorsView(connection, locations),
    createStatusBar(connection),
    createErrorDiagnostics(locations),
    createErrorCodeLens(locations, settings),
    createTrackCodeLens(connection, settings),
    createErrorHover(locations),
    vscode.window.registerWebviewPanelSerializer(REPLAY_VIEW_TYPE, panels),
    registerUriHandler(),
    registerConnect(services),
    registerDisconnect(services),
    registerRefresh(services),
    registerOpenSession(services),
    registerWatchSession(services),
    registerReplayLast(services),
    registerShowErrorSessions(services),
    registerResolveError(services),
    registerIgnoreError(services),
    registerReopenError(services),
    registerExportSession(services),
  );
}

/** Nothing to do: everything is in `context.subscriptions`. */
export function deactivate(): void {}
