/**
 * Where each error group threw, in the open workspace: the group's culprit frame (or, when it
 * is not in the workspace, the frames of its latest occurrence) mapped to a file and line.
 * The Problems panel, the CodeLens, the hover and the Errors view all read this one index;
 * the editor's features see only the statuses the settings ask for.
 */
import * as vscode from 'vscode';
import type { ErrorFrame, ErrorGroup } from '@sentiero/protocol';
import type { ConnectionService } from '../connection-service.ts';
import type { Settings } from '../settings.ts';
import { type FrameLike, FrameResolver, type SourceLocation } from './frame-mapping.ts';
import { createWorkspaceFiles } from './workspace-files.ts';

/** An error group and the line of a workspace file where it threw. */
export interface LocatedError {
  group: ErrorGroup;
  location: SourceLocation;
  uri: vscode.Uri;
}

const DEBOUNCE_MS = 200;
const MAX_DETAIL_FETCHES = 25;

/** The in-app frames first (innermost first), then the rest: where a person looks for the cause. */
function framesToTry(frames: readonly ErrorFrame[]): ErrorFrame[] {
  return [...frames.filter((f) => f.inApp), ...frames.filter((f) => !f.inApp)];
}

/** The index of error groups by workspace file and line, kept current. */
export class ErrorLocations implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly resolver = new FrameResolver(createWorkspaceFiles());
  private readonly occurrenceFrames = new Map<string, { lastSeen: number; frames: ErrorFrame[] }>();
  private byFile = new Map<string, LocatedError[]>();
  private byGroup = new Map<string, LocatedError>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;

  /** Fires after the index changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly service: ConnectionService, private readonly settings: Settings) {
    const filesChanged = () => {
      this.resolver.clear();
      this.schedule();
    };
    this.subscriptions.push(
      service.onDidChangeErrors(() => this.schedule()),
      service.onDidChangeConnection(() => this.occurrenceFrames.clear()),
      settings.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidChangeWorkspaceFolders(filesChanged),
      vscode.workspace.onDidCreateFiles(filesChanged),
      vscode.workspace.onDidDeleteFiles(filesChanged),
      vscode.workspace.onDidRenameFiles(filesChanged),
    );
    this.schedule();
  }

  /** The located errors in one file whose status the settings show in the editor. */
  inFile(uri: vscode.Uri): LocatedError[] {
    const shown = this.settings.current.editorStatuses;
    return (this.byFile.get(uri.toString()) ?? []).filter((e) => shown.has(e.group.status));
  }

  /** The located errors on one line (0-based) of a file. */
  onLine(uri: vscode.Uri, line: number): LocatedError[] {
    return this.inFile(uri).filter((e) => e.location.line - 1 === line);
  }

  /** Every located error whose status the settings show in the editor. */
  shown(): LocatedError[] {
    const shown = this.settings.current.editorStatuses;
    return [...this.byGroup.values()].filter((e) => shown.has(e.group.status));
  }

  /** Where one group threw, if in the workspace. */
  ofGroup(groupId: string): LocatedError | undefined {
    return this.byGroup.get(groupId);
  }

  /** Maps any frame (for example one the viewer shows) to a workspace location. */
  resolve(frame: FrameLike): Promise<SourceLocation | undefined> {
    return this.resolver.resolve(frame);
  }

  /** Stops listening. */
  dispose(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.recompute();
    }, DEBOUNCE_MS);
  }

  private async recompute(): Promise<void> {
    const generation = ++this.generation;
    const conn = this.service.connection;
    const groups = conn?.errorGroups ?? [];
    const byFile = new Map<string, LocatedError[]>();
    const byGroup = new Map<string, LocatedError>();
    let fetches = 0;
    for (const group of groups) {
      let location = group.culprit ? await this.resolver.resolve(group.culprit) : undefined;
      if (!location && conn && fetches < MAX_DETAIL_FETCHES) {
        let cached = this.occurrenceFrames.get(group.id);
        if (!cached || cached.lastSeen !== group.lastSeen) {
          fetches++;
          try {
            const detail = await conn.client.getErrorGroup(group.id, { occurrences: 1 });
            cached = { lastSeen: group.lastSeen, frames: framesToTry(detail.occurrences[0]?.frames ?? []) };
            this.occurrenceFrames.set(group.id, cached);
          } catch {
            cached = undefined;
          }
        }
        if (cached) location = await this.resolver.resolveFirst(cached.frames);
      }
      if (generation !== this.generation) return;
      if (!location) continue;
      const located: LocatedError = { group, location, uri: vscode.Uri.file(location.path) };
      byGroup.set(group.id, located);
      const key = located.uri.toString();
      byFile.set(key, [...(byFile.get(key) ?? []), located]);
    }
    if (generation !== this.generation) return;
    this.byFile = byFile;
    this.byGroup = byGroup;
    this.changed.fire();
  }
}
