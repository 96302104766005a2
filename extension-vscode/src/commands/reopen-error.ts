/** `sentiero.reopenError`: reopens a resolved or ignored error group. */
import * as vscode from 'vscode';
import { Command } from '../ids.ts';
import { StatusAction } from '../relay/status-rules.ts';
import type { Services } from '../services.ts';
import { changeStatus } from './change-status.ts';

/** Registers the command. */
export function registerReopenError(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.REOPEN_ERROR, (arg?: unknown) => changeStatus(services, arg, StatusAction.REOPEN));
}
