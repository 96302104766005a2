/**
 * The demo app's own routes: two pages (the home page also at `/tasks`, the path its in-app view switch pushes), their styles, and their script, built by
 * `npm run build` into `dist/assets/app.min.js` (minified, with a source map that the relay
 * reads, so browser errors point at `public/app.js`). `/api/fail` fails on purpose and
 * reports its error to the relay, linked to the session of the page that called it.
 * Everything else is the relay's.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Relay, sessionOf } from '@sentiero/relay';

const file = (name: string) => readFileSync(new URL(`../public/${name}`, import.meta.url), 'utf8');

/** The folder of the built script (`npm run build`), which is also the relay's `sourceMapsDir`. */
export const DEMO_DIST = fileURLToPath(new URL('../dist', import.meta.url));

/** Options of `createApp`. */
export interface DemoAppOptions {
  /** Where `/api/fail` reports its error. */
  relay?: Pick<Relay, 'captureException'>;
  /** The folder `/assets/*` is served from; default `dist/assets` of the demo. */
  assetsDir?: string;
}

/** A plain Node request listener for the demo pages. */
export function createApp(options: DemoAppOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const assetsDir = options.assetsDir ?? path.join(DEMO_DIST, 'assets');
  const pages: Record<string, { type: string; body: string }> = {
    '/': { type: 'text/html; charset=utf-8', body: file('index.html') },
    '/tasks': { type: 'text/html; charset=utf-8', body: file('index.html') },
    '/about': { type: 'text/html; charset=utf-8', body: file('about.html') },
    '/style.css': { type: 'text/css; charset=utf-8', body: file('style.css') },
  };
  return (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0]!;
    if (pathname === '/api/fail') {
      const err = new Error('the demo server failed on purpose');
      void options.relay?.captureException(err, { sessionId: sessionOf(req), url: pathname, tags: { route: '/api/fail' } });
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: err.message }));
      return;
    }
    if (pathname === '/assets/app.min.js' && (req.method === 'GET' || req.method === 'HEAD')) {
      // The source map is not served: the relay reads it from the build output.
      readFile(path.join(assetsDir, 'app.min.js'), 'utf8').then(
        (body) => {
          res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        () => {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('Not built: run `npm run build`');
        },
      );
      return;
    }
    const page = pages[pathname];
    if (!page || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
      return;
    }
    res.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : page.body);
  };
}
