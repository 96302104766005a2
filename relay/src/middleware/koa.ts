/** Koa middleware over the one core: reports an error thrown downstream, then throws it on to Koa's own handling. */
import type { IncomingMessage } from 'node:http';
import { type RequestErrorCapture, type RequestErrorOptions, reportRequestError } from './core.ts';

/** A Koa middleware (the part of Koa's context it uses). */
export type KoaMiddleware = (ctx: { req: IncomingMessage }, next: () => Promise<unknown>) => Promise<void>;

/** Creates the Koa middleware; register it first: `app.use(relay.koaMiddleware())`. */
export function createKoaMiddleware(capture: RequestErrorCapture, options: RequestErrorOptions = {}): KoaMiddleware {
  return async function sentieroKoa(ctx, next) {
    try {
      await next();
    } catch (err) {
      reportRequestError(capture, err, ctx.req, options);
      throw err;
    }
  };
}
