/** The argument of the error commands: `{ groupId }` from a CodeLens or a hover, or an Errors tree node (which has `groupId` too). */

/** Names an error group. */
export interface ErrorTarget { groupId: string }

/** The group id in a command's argument, or undefined. */
export function groupIdOf(arg: unknown): string | undefined {
  const id = (arg as { groupId?: unknown } | undefined)?.groupId;
  return typeof id === 'string' && id ? id : undefined;
}
