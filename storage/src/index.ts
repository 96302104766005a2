export * from './errors.ts';
export * from './types.ts';
export { Store } from './store.ts';
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './validate.ts';
export { Compression, BROTLI_QUALITY, GZIP_LEVEL } from './codec.ts';
export { LevelStore, LEVEL_STORE_DEFAULTS, LEVEL_FORMAT_VERSION } from './level-store.ts';
export type { LevelStoreOptions } from './level-store.ts';
export { RedisStore, REDIS_STORE_DEFAULTS, redactRedisUrl } from './redis-store.ts';
export type { RedisStoreOptions, RedisNode } from './redis-store.ts';
export { MemoryStore } from './memory-store.ts';
export { MAX_LISTED_WINDOWS, MAX_PAGES } from './session-record.ts';
export { MAX_OCCURRENCES_KEPT, DEFAULT_OCCURRENCES, MAX_GROUP_SESSIONS } from './error-record.ts';
export {
  AUDIT_GENESIS, DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT, auditHash,
  type AuditEntry, type AuditInput, type AuditPage, type AuditProblem, type AuditReadOptions, type AuditVerdict, type Role, type TokenRecord,
} from './audit-record.ts';
export type { DigestScanOptions } from './digest-record.ts';
export { MAX_ASSET_BYTES, MAX_ASSET_URL, MAX_ASSET_REFS_PER_CALL, assetHash, type AssetInput, type AssetRef, type StoredAsset } from './asset-record.ts';
