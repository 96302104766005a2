export { createRelay, type Relay, type RelayStats, type NextFunction, type CaptureContext } from './relay.ts';
export type { RelayOptions, Logger } from './options.ts';
export type { OriginPolicy } from './auth.ts';
export { RelayError } from './errors.ts';
export { DASHBOARD_CSP } from './http.ts';
export { isServerError, sessionOf, type RequestErrorOptions } from './middleware/core.ts';
export type { ExpressErrorHandler } from './middleware/express.ts';
export type { FastifyPlugin, FastifyLike } from './middleware/fastify.ts';
export type { KoaMiddleware } from './middleware/koa.ts';
export { nextHttpServer } from './middleware/next.ts';
export { MemoryStore, LevelStore, RedisStore, redactRedisUrl } from '@sentiero/storage';
export type { RedisStoreOptions } from '@sentiero/storage';
export type { RedisOptions } from './options.ts';
export {
  DEFAULT_STRIPPED_PARAMS, Redacted, SANITIZER_FAILED, defaultSanitizers, dropEvents, maskCardNumbers, maskEmails, maskPatterns,
  stripQueryParams, textSanitizer, type DefaultSanitizerOptions, type SanitizeContext, type SanitizeKind, type Sanitizer,
} from './sanitize.ts';
