/**
 * Captured assets on Redis: each asset's encoded bytes in a string of its own
 * (`<prefix>asset:<sha256>`, shared by every session), and a session's refs in a hash under
 * its hash tag (`<prefix>{sessionId}:asset-refs`, field the URL), written by one script that
 * first checks the session exists, so that refs written after an erasure never bring it back.
 */

/** The key of an asset's bytes. */
export const assetKey = (prefix: string, hash: string): string => `${prefix}asset:${hash}`;

/** The key of a session's refs (in the session's hash slot). */
export const assetRefsKey = (prefix: string, sessionId: string): string => `${prefix}{${sessionId}}:asset-refs`;

/** KEYS: the session's record, its refs. ARGV: url, encoded ref, url, encoded ref, … Returns 0 when there is no such session. */
const PUT_ASSET_REFS = `
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[2], unpack(ARGV))
return 1
`;

/** The scripts of captured assets, added to the store's. */
export const ASSET_SCRIPTS = {
  sentieroPutAssetRefs: { numberOfKeys: 2, lua: PUT_ASSET_REFS },
} as const;
