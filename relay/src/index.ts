export { createRelay, type Relay, type RelayStats, type NextFunction, type CaptureContext } from './relay.ts';
export type { RelayOptions, OriginPolicy, Logger } from './options.ts';
export { RelayError } from './errors.ts';
export { DASHBOARD_CSP } from './http.ts';
export { isServerError, sessionOf, type RequestErrorOptions } from './middleware/core.ts';
export type { ExpressErrorHandler } from './middleware/express.ts';
export type { FastifyPlugin, FastifyLike } from './middleware/fastify.ts';
export type { KoaMiddleware } from './middleware/koa.ts';
export { MemoryStore, LevelStore } from '@sentiero/storage';
