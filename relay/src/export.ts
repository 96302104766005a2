/**
 * `GET <base>/api/sessions/:id/export.html`: one session as one self-contained HTML file that
 * replays offline, with no network and no token. The page is the viewer's export player
 * (`@sentiero/viewer/dist/export.js`, inlined and allowed by its hash in the page's CSP) and the
 * session's data, inert: the summary and the stored batches (NDJSON, gzipped) as base64 inside
 * `<script type="application/octet-stream">` elements, which a browser never runs and whose
 * alphabet cannot close them. The batches stream from the store through gzip and base64 into
 * the response, so a session of any size is exported in bounded memory.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';
import { ErrorCode } from '@sentiero/protocol';
import { NOT_BUILT, distFile } from './dist-file.ts';
import { RelayError } from './errors.ts';
import { toSummary } from './hub.ts';
import { type HttpContext, batchLine, drained } from './respond.ts';

/** The player and its styles, checked to be safe to inline, and the CSP that lets the player (and nothing else) run. */
interface Player {
  js: string;
  css: string;
  csp: string;
}

/**
 * The export page's CSP: its own script by hash; recorded styles inline (rrweb replays them as
 * `<style>`); images, fonts and media only from `data:`/`blob:` (remote assets are blocked, and
 * the replay's iframe inherits this policy); no connections, no forms, no base URL, no frames
 * beyond rrweb's own `about:blank` one.
 */
export function exportCsp(scriptHash: string): string {
  return [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}'`,
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    'font-src data:',
    'media-src data: blob:',
    "connect-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

let player: Promise<Player> | undefined;

/** Reads the built player once; a missing or unsafe-to-inline bundle is `SENTIERO_NOT_FOUND` / `SENTIERO_INTERNAL`. */
function loadPlayer(): Promise<Player> {
  player ??= (async () => {
    const jsFile = distFile('@sentiero/viewer/dist/export.js');
    const cssFile = distFile('@sentiero/viewer/dist/export.css');
    if (!jsFile || !cssFile) throw new RelayError(ErrorCode.NOT_FOUND, `the export player is not built: ${NOT_BUILT}`);
    const [js, css] = await Promise.all([readFile(jsFile, 'utf8'), readFile(cssFile, 'utf8')]);
    // An inline script ends at the first `</script`, and `<!--` changes how it is parsed: the bundle must hold neither.
    if (/<\/script|<!--/i.test(js) || /<\/style/i.test(css)) throw new RelayError(ErrorCode.INTERNAL, 'the export player cannot be inlined safely');
    return { js, css, csp: exportCsp(createHash('sha256').update(js, 'utf8').digest('base64')) };
  })();
  player.catch(() => { player = undefined; });
  return player;
}

/** The `<script type="application/octet-stream">` element that holds base64 data: nothing in it can end it early. */
const dataOpen = (id: string) => `<script type="application/octet-stream" id="${id}">`;
const DATA_CLOSE = '</script>\n';

/** The file name an export is saved under. */
export function exportFilename(sessionId: string): string {
  return `sentiero-${sessionId}.html`;
}

/** Answers with the session's HTML export, streamed. `sessionId` has been checked by `isValidId`. */
export async function sendExport(ctx: HttpContext, sessionId: string, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  const record = await ctx.store.getSession(sessionId);
  if (!record) throw new RelayError(ErrorCode.NOT_FOUND, `no session ${sessionId}`);
  const { js, css, csp } = await loadPlayer();
  const summary = Buffer.from(JSON.stringify({ ...toSummary(record, false), exportedAt: Date.now() }), 'utf8').toString('base64');
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-disposition': `attachment; filename="${exportFilename(sessionId)}"`,
    'content-security-policy': csp,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...cors,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  let closed = false;
  const gzip = createGzip({ level: 6 });
  res.on('close', () => {
    closed = !res.writableFinished;
    if (closed) gzip.destroy();
  });
  const write = async (text: string) => {
    if (!res.write(text)) await drained(res);
  };
  await write(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sentiero replay ${sessionId}</title>
<style>${css}</style>
</head>
<body>
<div id="app"></div>
${dataOpen('sentiero-session')}${summary}${DATA_CLOSE}${dataOpen('sentiero-events')}`);

  // The store feeds gzip while gzip's output is encoded and sent; each side waits for the other's backpressure.
  const feed = (async () => {
    try {
      for await (const b of ctx.store.readBatchesJson(sessionId)) {
        if (closed) return;
        if (!gzip.write(batchLine(b))) await drained(gzip);
      }
      gzip.end();
    } catch (err) {
      gzip.destroy(err as Error);
    }
  })();
  // Base64 goes out in whole 3-byte groups; the remainder waits for the next chunk (or the end).
  let carry: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of gzip as AsyncIterable<Buffer>) {
      const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const whole = bytes.length - (bytes.length % 3);
      carry = bytes.subarray(whole);
      if (whole) await write(bytes.subarray(0, whole).toString('base64'));
      if (closed) return;
    }
  } catch (err) {
    // A client that went away is no failure. Otherwise the headers are sent: a failure mid-stream can
    // only cut the response short (the file will not load), never answer JSON.
    if (!closed) ctx.options.logger.error(`exporting session ${sessionId} failed`, err);
    res.destroy();
    return;
  } finally {
    await feed;
  }
  if (closed) return;
  await write(`${carry.toString('base64')}${DATA_CLOSE}<script>${js}</script>
</body>
</html>
`);
  res.end();
}
