/** Which status changes a person may make to an error group, in one place (the menus' `when` clauses mirror it; a test checks they agree). */
import type { ErrorStatus, SettableErrorStatus } from '@sentiero/protocol';

/** The status changes offered in the Errors view's context menu. */
export const StatusAction = {
  RESOLVE: 'resolve',
  IGNORE: 'ignore',
  REOPEN: 'reopen',
} as const;

/** One of the status changes. */
export type StatusAction = (typeof StatusAction)[keyof typeof StatusAction];

const RULES: Record<StatusAction, { to: SettableErrorStatus; from: readonly ErrorStatus[] }> = {
  resolve: { to: 'resolved', from: ['unresolved', 'regressed', 'ignored'] },
  ignore: { to: 'ignored', from: ['unresolved', 'regressed', 'resolved'] },
  reopen: { to: 'unresolved', from: ['resolved', 'ignored'] },
};

/** The status a change sets. */
export function targetStatus(action: StatusAction): SettableErrorStatus {
  return RULES[action].to;
}

/** Whether the change makes sense for a group with this status. */
export function canApply(action: StatusAction, status: ErrorStatus): boolean {
  return RULES[action].from.includes(status);
}

/** The changes offered for a group with this status. */
export function actionsFor(status: ErrorStatus): StatusAction[] {
  return (Object.keys(RULES) as StatusAction[]).filter((a) => canApply(a, status));
}
