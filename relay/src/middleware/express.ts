/** Express (and Connect) error middleware over the one core: reports the error, then hands it on with `next(err)`. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type RequestErrorCapture, type RequestErrorOptions, reportRequestError } from './core.ts';

/** An Express error handler (four parameters, so Express calls it with errors). */
export type ExpressErrorHandler = (err: unknown, req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Creates the Express error handler; register it after the routes: `app.use(relay.expressErrorHandler())`. */
export function createExpressErrorHandler(capture: RequestErrorCapture, options: RequestErrorOptions = {}): ExpressErrorHandler {
  return function sentieroErrorHandler(err, req, _res, next) {
    reportRequestError(capture, err, req, options);
    next(err);
  };
}
