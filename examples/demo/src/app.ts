/** The demo app's own routes: two pages and their script, served from `public/`. Everything else is the relay's. */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

const file = (name: string) => readFileSync(new URL(`../public/${name}`, import.meta.url), 'utf8');

/** A plain Node request listener for the demo pages. */
export function createApp(): (req: IncomingMessage, res: ServerResponse) => void {
  const pages: Record<string, { type: string; body: string }> = {
    '/': { type: 'text/html; charset=utf-8', body: file('index.html') },
    '/about': { type: 'text/html; charset=utf-8', body: file('about.html') },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: file('app.js') },
    '/style.css': { type: 'text/css; charset=utf-8', body: file('style.css') },
  };
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api/fail') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'the demo server failed on purpose' }));
      return;
    }
    const page = pages[path];
    if (!page || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
      return;
    }
    res.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : page.body);
  };
}
