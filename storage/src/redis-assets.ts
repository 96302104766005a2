/**
 * Captured assets on Redis: each asset's encoded bytes in a string of its own, with the time it
 * was last kept beside it in the same hash slot (`<prefix>asset:{<sha256>}` and `…:at`, shared
 * by every session), and a sorted set of every asset by that time (`<prefix>{assets}:by-time`,
 * what the sweep lists, since nothing uses KEYS or SCAN). A session's refs are a hash under its
 * hash tag (`<prefix>{sessionId}:asset-refs`, field the URL), written by one script that first
 * checks the session exists, so that refs written after an erasure never bring it back.
 */

/** The keys of an asset: its bytes and its time, in one hash slot. */
export function assetKeys(prefix: string, hash: string): { bytes: string; at: string } {
  return { bytes: `${prefix}asset:{${hash}}`, at: `${prefix}asset:{${hash}}:at` };
}

/** The key of the sorted set of every asset by the time it was last kept. */
export const assetIndexKey = (prefix: string): string => `${prefix}{assets}:by-time`;

/** The key of a session's refs (in the session's hash slot). */
export const assetRefsKey = (prefix: string, sessionId: string): string => `${prefix}{${sessionId}}:asset-refs`;

/** KEYS: the session's record, its refs. ARGV: url, encoded ref, url, encoded ref, … Returns 0 when there is no such session. */
const PUT_ASSET_REFS = `
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[2], unpack(ARGV))
return 1
`;

/** KEYS: the asset's bytes, its time. ARGV: the time. Sets the time when the bytes are kept; returns 1 then, else 0. */
const TOUCH_ASSET = `
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('set', KEYS[2], ARGV[1])
return 1
`;

/** KEYS: the asset's bytes, its time. ARGV: the bytes, the time. */
const PUT_ASSET = `
redis.call('set', KEYS[1], ARGV[1])
redis.call('set', KEYS[2], ARGV[2])
return 1
`;

/** KEYS: the asset's bytes, its time. ARGV: before. Removes both when the time is before `before` (a put since keeps them); returns 1 then. */
const DELETE_ASSET = `
local at = redis.call('get', KEYS[2])
if at and tonumber(at) >= tonumber(ARGV[1]) then return 0 end
redis.call('del', KEYS[1], KEYS[2])
return 1
`;

/** The scripts of captured assets, added to the store's. */
export const ASSET_SCRIPTS = {
  sentieroPutAssetRefs: { numberOfKeys: 2, lua: PUT_ASSET_REFS },
  sentieroTouchAsset: { numberOfKeys: 2, lua: TOUCH_ASSET },
  sentieroPutAsset: { numberOfKeys: 2, lua: PUT_ASSET },
  sentieroDeleteAsset: { numberOfKeys: 2, lua: DELETE_ASSET },
} as const;
