/**
 * Viewer privacy: a replay must not tell the recorded site who watched it. Before rrweb sees a
 * window's events, every URL it would load by itself (images, `srcset`, media, stylesheets,
 * fonts, `url()` and `@import` in recorded CSS, link preconnects; found by the protocol's
 * `createAssetWalker`) is rewritten to go through the relay's asset proxy, which serves the
 * session's captured copy when it has one, or to an empty `data:` URL when the relay blocks
 * assets (and in an HTML export). The dashboard's and the export's CSP back this up: a URL
 * missed here is refused by the browser, never fetched from the recorded site.
 */
import { type AssetPolicy, BLOCKED_ASSET_URL, type RecordedEvent, createAssetWalker } from '@sentiero/protocol';

/** Turns a URL of the recording (absolute, resolved against the page) into the one the replay may load. */
export type AssetUrlMap = (url: string) => string;

/**
 * The map a policy asks for: through `<relayUrl>/api/assets` in `proxy` mode, nowhere in `block`
 * mode. With `sessionId`, the URLs name the session (`s=`), so that the relay serves the copy of
 * the asset captured when that session was recorded; in `block` mode with `captured`, those
 * copies are all a replay loads (the relay fetches nothing live).
 */
export function assetUrlMap(policy: AssetPolicy, relayUrl: string, sessionId?: string): AssetUrlMap {
  const through = policy.mode === 'proxy' || (policy.captured === true && sessionId !== undefined);
  if (!through || !policy.key) return () => BLOCKED_ASSET_URL;
  const session = sessionId === undefined ? '' : `&s=${encodeURIComponent(sessionId)}`;
  const prefix = `${relayUrl.replace(/\/+$/, '')}/api/assets?k=${encodeURIComponent(policy.key)}${session}&url=`;
  return (url) => `${prefix}${encodeURIComponent(url)}`;
}

/** Rewrites one window's events in order (it follows the page's URL and which text nodes are CSS). */
export interface AssetRewriter {
  /** Rewrites the URLs of `event` in place and returns it. */
  rewrite(event: RecordedEvent): RecordedEvent;
}

/** A rewriter for one window's event stream. */
export function createAssetRewriter(map: AssetUrlMap): AssetRewriter {
  const walker = createAssetWalker((url) => map(url), { rewrite: true });
  return { rewrite: (event) => walker.walk(event) };
}
