/**
 * `sentiero.exportSession` ("Sentiero: Export Session as HTML"): saves a session as one HTML file
 * that replays offline, where the save dialog says. The file comes from the relay's
 * `GET <base>/api/sessions/:id/export.html` over REST with the extension's token, and is
 * streamed to disk (beside the target first, renamed when complete).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import os from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import * as vscode from 'vscode';
import { Command } from '../ids.ts';
import type { Services } from '../services.ts';
import { reportError } from './report-error.ts';

/** What the command accepts: a session id (the replay's "Download replay" button), a Sessions tree node, or nothing (it asks). */
export type ExportSessionArgs = string | { sessionId: string } | undefined;

/** Asks where to save, then writes the export there. */
export async function exportSession(services: Services, sessionId: string): Promise<void> {
  const conn = services.connection.connection;
  if (!conn) {
    void vscode.window.showWarningMessage('Sentiero: connect to a relay first ("Sentiero: Connect to Relay").');
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
  const target = await vscode.window.showSaveDialog({
    title: 'Sentiero: Export Session as HTML',
    defaultUri: vscode.Uri.joinPath(folder, `sentiero-${sessionId}.html`),
    filters: { HTML: ['html'] },
    saveLabel: 'Export',
  });
  if (!target) return;
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Sentiero: exporting session ${sessionId}…` }, async () => {
      const { body } = await conn.client.exportHtml(sessionId);
      const source = Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>);
      if (target.scheme !== 'file') {
        // A remote workspace's file system: the export is read whole, then written through VS Code.
        const chunks: Buffer[] = [];
        for await (const chunk of source) chunks.push(Buffer.from(chunk as Uint8Array));
        await vscode.workspace.fs.writeFile(target, Buffer.concat(chunks));
        return;
      }
      const partial = `${target.fsPath}.part`;
      try {
        await pipeline(source, createWriteStream(partial));
        await rename(partial, target.fsPath);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
    });
  } catch (err) {
    reportError(services, `could not export session ${sessionId}`, err);
    return;
  }
  services.log.info(`exported session ${sessionId} to ${target.toString()}`);
  void vscode.window.showInformationMessage(`Sentiero: exported session ${sessionId} to ${target.scheme === 'file' ? target.fsPath : target.toString()}.`);
}

/** Registers the command. */
export function registerExportSession(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.EXPORT_SESSION, async (args?: ExportSessionArgs) => {
    let id = typeof args === 'string' ? args : args?.sessionId;
    if (!id) {
      id = (await vscode.window.showInputBox({ title: 'Sentiero: Export Session as HTML', prompt: 'The session id' }))?.trim();
      if (!id) return;
    }
    return exportSession(services, id);
  });
}
