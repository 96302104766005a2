/**
 * Next.js custom servers. Next adds its own `upgrade` listener to the server on the first
 * request (or to the server given as `next({ httpServer })`), and it ends every upgrade whose
 * path one of its routes matches, so an app with a root catch-all route would close the
 * relay's sockets right after the relay accepted them. `nextHttpServer()` is the server to
 * give Next instead: the same server, except that Next's `upgrade` listeners never see the
 * upgrades under the relay's base path.
 */
import type { IncomingMessage, Server } from 'node:http';

type UpgradeListener = (req: IncomingMessage, ...rest: unknown[]) => void;

/** Whether a request's path is under `basePath`. */
function under(basePath: string, req: IncomingMessage): boolean {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  return basePath === '' || pathname === basePath || pathname.startsWith(`${basePath}/`);
}

/** The server to pass as `next({ httpServer })` when the relay is attached to `server`: Next's upgrade listeners skip the relay's paths. */
export function nextHttpServer(server: Server, relay: { readonly basePath: string }): Server {
  const wrapped = new WeakMap<UpgradeListener, UpgradeListener>();
  const filter = (listener: UpgradeListener): UpgradeListener => {
    let f = wrapped.get(listener);
    if (!f) {
      f = function (this: unknown, req, ...rest) {
        if (!under(relay.basePath, req)) listener.call(this, req, ...rest);
      };
      wrapped.set(listener, f);
    }
    return f;
  };
  return new Proxy(server, {
    get(target, key) {
      if (key === 'on' || key === 'addListener' || key === 'once' || key === 'prependListener' || key === 'off' || key === 'removeListener') {
        return (event: string | symbol, listener: UpgradeListener) => {
          (target[key] as (e: string | symbol, l: UpgradeListener) => Server).call(target, event, event === 'upgrade' ? filter(listener) : listener);
          return target;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
