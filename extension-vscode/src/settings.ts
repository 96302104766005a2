/** The settings as a typed, read-only object, read again whenever `sentiero.*` changes. */
import * as vscode from 'vscode';
import { type SentieroConfig, parseConfig } from './config.ts';
import { Setting } from './ids.ts';

function read(): SentieroConfig {
  const c = vscode.workspace.getConfiguration(Setting.SECTION);
  return parseConfig({
    relayUrl: c.get(Setting.RELAY_URL),
    editorStatuses: c.get(Setting.EDITOR_STATUSES),
    codeLens: c.get(Setting.EDITOR_CODE_LENS),
  });
}

/** The current settings and an event when they change. */
export class Settings implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<{ previous: SentieroConfig; current: SentieroConfig }>();
  private readonly subscription: vscode.Disposable;
  private value = read();

  /** Fires after `sentiero.*` settings change, with the values before and after. */
  readonly onDidChange = this.changed.event;

  constructor() {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(Setting.SECTION)) return;
      const previous = this.value;
      this.value = read();
      this.changed.fire({ previous, current: this.value });
    });
  }

  /** The settings now. */
  get current(): SentieroConfig {
    return this.value;
  }

  /** Saves the relay URL in the user's settings. */
  async setRelayUrl(url: string): Promise<void> {
    await vscode.workspace.getConfiguration(Setting.SECTION).update(Setting.RELAY_URL, url, vscode.ConfigurationTarget.Global);
  }

  /** Stops listening. */
  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
