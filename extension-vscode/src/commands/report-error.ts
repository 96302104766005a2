/** How a command says that something failed: in the Sentiero log and as an error message. */
import * as vscode from 'vscode';
import type { Services } from '../services.ts';

/** Logs the failure and tells the person, without throwing. */
export function reportError(services: Services, what: string, err: unknown): void {
  const text = `${what}: ${err instanceof Error ? err.message : String(err)}`;
  services.log.error(text);
  void vscode.window.showErrorMessage(`Sentiero: ${text}`);
}
