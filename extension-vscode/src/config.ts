/** The extension's settings as one typed, read-only object, parsed from raw values (no `vscode` import). */
import type { ErrorStatus } from '@sentiero/protocol';

/** The settings, after parsing. */
export interface SentieroConfig {
  /** The relay's base URL without a trailing slash, or `''` when not set. */
  readonly relayUrl: string;
  /** Error statuses shown in the editor. */
  readonly editorStatuses: ReadonlySet<ErrorStatus>;
  /** Whether to show CodeLens above lines that threw. */
  readonly codeLens: boolean;
}

const STATUSES: readonly ErrorStatus[] = ['unresolved', 'regressed', 'resolved', 'ignored'];

/** The defaults, as in package.json. */
export const DEFAULT_CONFIG: SentieroConfig = Object.freeze({
  relayUrl: '',
  editorStatuses: new Set<ErrorStatus>(['unresolved', 'regressed']),
  codeLens: true,
});

/** Checks a relay URL typed by a person: an absolute http(s) URL. Returns the problem, or undefined when it is fine. */
export function relayUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return 'Not a URL: type the relay\'s base URL, e.g. http://127.0.0.1:3000/sentiero';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'The relay URL must start with http:// or https://';
  if (url.search || url.hash) return 'The relay URL takes no query or fragment';
  return undefined;
}

/** Normalizes a relay URL: trimmed, without a trailing slash. */
export function normalizeRelayUrl(text: string): string {
  return text.trim().replace(/\/+$/, '');
}

/** Parses raw setting values (as `WorkspaceConfiguration.get` returns them); anything malformed falls back to its default. */
export function parseConfig(raw: { relayUrl?: unknown; editorStatuses?: unknown; codeLens?: unknown }): SentieroConfig {
  const relayUrl = typeof raw.relayUrl === 'string' && !relayUrlProblem(raw.relayUrl) ? normalizeRelayUrl(raw.relayUrl) : '';
  const editorStatuses = Array.isArray(raw.editorStatuses)
    ? new Set(raw.editorStatuses.filter((s): s is ErrorStatus => STATUSES.includes(s as ErrorStatus)))
    : DEFAULT_CONFIG.editorStatuses;
  const codeLens = typeof raw.codeLens === 'boolean' ? raw.codeLens : DEFAULT_CONFIG.codeLens;
  return Object.freeze({ relayUrl, editorStatuses, codeLens });
}
