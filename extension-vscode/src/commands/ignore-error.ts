/** `sentiero.ignoreError`: ignores an error group (it leaves the editor, and the relay keeps counting it). */
import * as vscode from 'vscode';
import { Command } from '../ids.ts';
import { StatusAction } from '../relay/status-rules.ts';
import type { Services } from '../services.ts';
import { changeStatus } from './change-status.ts';

/** Registers the command. */
export function registerIgnoreError(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.IGNORE_ERROR, (arg?: unknown) => changeStatus(services, arg, StatusAction.IGNORE));
}
