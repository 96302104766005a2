export { createRelay, type Relay, type RelayStats, type NextFunction } from './relay.ts';
export type { RelayOptions, OriginPolicy, Logger } from './options.ts';
export { RelayError } from './errors.ts';
export { DASHBOARD_CSP } from './http.ts';
export { MemoryStore, LevelStore } from '@sentiero/storage';
