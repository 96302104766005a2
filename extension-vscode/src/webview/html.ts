/** The replay webview's HTML and its Content-Security-Policy (no `vscode` import: the caller passes the URIs as strings). */

/** What the page needs from the extension. */
export interface ReplayHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** A fresh nonce (`createNonce()`), the only way a script runs. */
  nonce: string;
  /** `asWebviewUri` of the shell script. */
  scriptUri: string;
  /** `asWebviewUri` of the stylesheets. */
  styleUris: readonly string[];
  /** The relay's base URL: the only place the page may connect to (REST and the watch socket). */
  relayUrl: string;
  /** The panel's title, shown until the viewer is up. */
  title: string;
}

/** 32 random characters for a CSP nonce. */
export function createNonce(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** The origins of the relay for `connect-src`: its http(s) origin and the matching ws(s) one. */
export function relayOrigins(relayUrl: string): string[] {
  try {
    const u = new URL(relayUrl);
    return [u.origin, `${u.protocol === 'https:' ? 'wss:' : 'ws:'}//${u.host}`];
  } catch {
    return [];
  }
}

/**
 * The Content-Security-Policy: scripts only with the nonce; connections only to the relay;
 * recorded pages' images, styles, fonts and media only from the relay (its asset proxy) or
 * `data:`/`blob:`, never from the recorded site (viewer privacy: rrweb replays them inside its
 * sandboxed iframe, which inherits this policy and can run no script).
 */
export function replayCsp(o: Pick<ReplayHtmlOptions, 'cspSource' | 'nonce' | 'relayUrl'>): string {
  const relay = relayOrigins(o.relayUrl)[0];
  const directive = (name: string, ...sources: Array<string | undefined>) => [name, ...sources.filter(Boolean)].join(' ');
  return [
    "default-src 'none'",
    `script-src 'nonce-${o.nonce}'`,
    directive('style-src', o.cspSource, "'unsafe-inline'", relay),
    directive('img-src', o.cspSource, relay, 'data:', 'blob:'),
    directive('font-src', o.cspSource, relay, 'data:'),
    directive('media-src', relay, 'data:', 'blob:'),
    directive('connect-src', ...relayOrigins(o.relayUrl)),
    "frame-src 'self' blob: about:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page: the CSP, the viewer's styles, a root element and the shell script. */
export function replayHtml(o: ReplayHtmlOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(replayCsp(o))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
${o.styleUris.map((u) => `<link rel="stylesheet" href="${escapeHtml(u)}">`).join('\n')}
<title>${escapeHtml(o.title)}</title>
</head>
<body>
<div id="sentiero-root" class="sentiero-shell"><p class="sentiero-shell-status" id="sentiero-status">Loading ${escapeHtml(o.title)}…</p></div>
<script nonce="${o.nonce}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>`;
}
