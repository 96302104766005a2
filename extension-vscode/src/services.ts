/** What the commands work with, made once in `activate()`. */
import type * as vscode from 'vscode';
import type { ConnectionService } from './connection-service.ts';
import type { ErrorLocations } from './editor/error-locations.ts';
import type { Settings } from './settings.ts';
import type { ReplayPanels } from './webview/replay-panels.ts';

/** The extension's services. */
export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly settings: Settings;
  readonly connection: ConnectionService;
  readonly locations: ErrorLocations;
  readonly panels: ReplayPanels;
  /** The "Sentiero" output channel. */
  readonly log: vscode.LogOutputChannel;
}
