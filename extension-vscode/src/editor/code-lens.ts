/** CodeLens above each line that threw: the error and its counts, "Replay last" and "Show all". */
import * as vscode from 'vscode';
import { lensTitle } from '../format.ts';
import { Command } from '../ids.ts';
import type { Settings } from '../settings.ts';
import type { ErrorTarget } from '../commands/error-target.ts';
import type { ErrorLocations } from './error-locations.ts';

/** Provides the lenses from the error locations; asks to be read again when they or the settings change. */
export class ErrorCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();

  /** Fires when the lenses should be read again. */
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly locations: ErrorLocations, private readonly settings: Settings) {}

  /** Reads the lenses again. */
  refresh(): void {
    this.changed.fire();
  }

  /** Three lenses per error group that threw in this document. */
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.settings.current.codeLens) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const e of this.locations.inFile(document.uri)) {
      const line = Math.min(e.location.line - 1, Math.max(0, document.lineCount - 1));
      const range = new vscode.Range(line, 0, line, 0);
      const target: ErrorTarget = { groupId: e.group.id };
      lenses.push(
        new vscode.CodeLens(range, { title: lensTitle(e.group), command: '', tooltip: `${e.group.name}: ${e.group.message}` }),
        new vscode.CodeLens(range, { title: 'Replay last', command: Command.REPLAY_LAST, arguments: [target], tooltip: 'Replay the last session where this happened, at that moment' }),
        new vscode.CodeLens(range, { title: 'Show all', command: Command.SHOW_ERROR_SESSIONS, arguments: [target], tooltip: 'Every session where this happened' }),
      );
    }
    return lenses;
  }

  /** Stops. */
  dispose(): void {
    this.changed.dispose();
  }
}

/** Registers the CodeLens provider for every file. */
export function createErrorCodeLens(locations: ErrorLocations, settings: Settings): vscode.Disposable {
  const provider = new ErrorCodeLensProvider(locations, settings);
  return vscode.Disposable.from(
    provider,
    vscode.languages.registerCodeLensProvider({ scheme: 'file' }, provider),
    locations.onDidChange(() => provider.refresh()),
    settings.onDidChange(() => provider.refresh()),
  );
}
