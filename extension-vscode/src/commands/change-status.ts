/** What the three status commands share: change an error group's status on the relay and say so when it fails. */
import { type StatusAction, canApply } from '../relay/status-rules.ts';
import type { Services } from '../services.ts';
import { groupIdOf } from './error-target.ts';
import { reportError } from './report-error.ts';

/** Applies a status change to the group named by a command's argument. */
export async function changeStatus(services: Services, arg: unknown, action: StatusAction): Promise<void> {
  const groupId = groupIdOf(arg);
  const conn = services.connection.connection;
  if (!groupId || !conn) return;
  const group = conn.errorGroup(groupId);
  if (group && !canApply(action, group.status)) return;
  try {
    await conn.setErrorStatus(groupId, action);
  } catch (err) {
    reportError(services, `could not ${action} the error`, err);
  }
}
