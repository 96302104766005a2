/** The elements of the Sessions and Errors trees; commands invoked from a tree item get one of these as their argument. */
import type { ErrorGroupSession, SessionSummary } from '@sentiero/protocol';
import type { DayGroup } from './tree-model.ts';

/** A day in the Sessions tree. */
export interface DayNode { kind: 'day'; group: DayGroup }
/** A session in the Sessions tree. */
export interface SessionNode { kind: 'session'; sessionId: string; session: SessionSummary }
/** An error group in the Errors tree. */
export interface ErrorGroupNode { kind: 'error-group'; groupId: string }
/** One session an error group happened in (a child of the group in the Errors tree). */
export interface ErrorSessionNode { kind: 'error-session'; groupId: string; sessionId: string; occurrence: ErrorGroupSession }
/** A line of text in a tree (a loading or failure note). */
export interface NoteNode { kind: 'note'; id: string; text: string }

/** A node of the Sessions tree. */
export type SessionsTreeNode = DayNode | SessionNode;
/** A node of the Errors tree. */
export type ErrorsTreeNode = ErrorGroupNode | ErrorSessionNode | NoteNode;
