/** Errors in the Problems panel: one diagnostic per error group at the line that threw, in one collection. */
import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE } from '../ids.ts';
import { diagnosticMessage } from '../format.ts';
import type { ErrorLocations, LocatedError } from './error-locations.ts';

function severityOf(e: LocatedError): vscode.DiagnosticSeverity {
  return e.group.status === 'unresolved' || e.group.status === 'regressed' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Information;
}

/** Keeps the Problems panel in step with the error locations. */
export function createErrorDiagnostics(locations: ErrorLocations): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('sentiero');
  const update = () => {
    const byUri = new Map<string, { uri: vscode.Uri; diagnostics: vscode.Diagnostic[] }>();
    for (const e of locations.shown()) {
      const line = e.location.line - 1;
      const col = e.location.column - 1;
      const d = new vscode.Diagnostic(new vscode.Range(line, col, line, Number.MAX_SAFE_INTEGER), diagnosticMessage(e.group), severityOf(e));
      d.source = DIAGNOSTIC_SOURCE;
      d.code = e.group.name;
      const entry = byUri.get(e.uri.toString()) ?? { uri: e.uri, diagnostics: [] };
      entry.diagnostics.push(d);
      byUri.set(e.uri.toString(), entry);
    }
    collection.clear();
    collection.set([...byUri.values()].map((x) => [x.uri, x.diagnostics] as [vscode.Uri, vscode.Diagnostic[]]));
  };
  update();
  return vscode.Disposable.from(collection, locations.onDidChange(update));
}
