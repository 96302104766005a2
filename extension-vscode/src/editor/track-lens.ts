/** CodeLens above each `data-sentiero-track="name"` attribute: how often that event fired in the last 7 days. */
import * as vscode from 'vscode';
import { createAnalyticsApi } from '@sentiero/viewer/analytics-api';
import type { ConnectionService } from '../connection-service.ts';
import type { Settings } from '../settings.ts';
import { findTrackAttributes, trackLensTitle } from './track-attributes.ts';
import { TRACK_DAYS, TrackCounts } from './track-counts.ts';

/** Provides the lenses from the counts; asks to be read again when they or the settings change. */
export class TrackCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();

  /** Fires when the lenses should be read again. */
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly counts: TrackCounts, private readonly settings: Settings) {}

  /** Reads the lenses again. */
  refresh(): void {
    this.changed.fire();
  }

  /** One lens per tracked event named in the document. */
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.settings.current.codeLens) return [];
    return findTrackAttributes(document.getText()).map((a) => new vscode.CodeLens(new vscode.Range(a.line, a.column, a.line, a.column), {
      title: trackLensTitle(a.name, this.counts.count(a.name), TRACK_DAYS),
      command: '',
      tooltip: `Custom event "${a.name}", counted by the relay's analytics over the last ${TRACK_DAYS} days`,
    }));
  }

  /** Stops. */
  dispose(): void {
    this.changed.dispose();
  }
}

/** Registers the provider for markup and script files, with the counts of the connected relay. */
export function createTrackCodeLens(connection: ConnectionService, settings: Settings): vscode.Disposable {
  const counts = new TrackCounts(undefined);
  const provider = new TrackCodeLensProvider(counts, settings);
  const use = async () => {
    const conn = connection.connection;
    const token = conn ? await connection.token() : undefined;
    counts.setApi(conn && token ? createAnalyticsApi(conn.baseUrl, token) : undefined);
  };
  void use();
  const off = counts.onDidChange(() => provider.refresh());
  return vscode.Disposable.from(
    provider,
    { dispose: () => { off(); counts.dispose(); } },
    vscode.languages.registerCodeLensProvider(
      ['html', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'vue', 'svelte', 'astro', 'php', 'erb', 'handlebars'].map((language) => ({ scheme: 'file', language })),
      provider,
    ),
    connection.onDidChangeConnection(() => void use()),
    settings.onDidChange(() => provider.refresh()),
  );
}
