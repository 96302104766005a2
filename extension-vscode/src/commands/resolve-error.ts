/** `sentiero.resolveError`: marks an error group resolved (a new occurrence makes it regressed). */
import * as vscode from 'vscode';
import { Command } from '../ids.ts';
import { StatusAction } from '../relay/status-rules.ts';
import type { Services } from '../services.ts';
import { changeStatus } from './change-status.ts';

/** Registers the command. */
export function registerResolveError(services: Services): vscode.Disposable {
  return vscode.commands.registerCommand(Command.RESOLVE_ERROR, (arg?: unknown) => changeStatus(services, arg, StatusAction.RESOLVE));
}
