/** Browser, OS and device of a session, from its user agent (ua-parser-js), as the analytics breakdowns name them. */
import { createRequire } from 'node:module';

/** ua-parser-js 1.x ships no types: the part of its result analytics reads. */
type Parser = new (userAgent: string) => { getResult(): { browser: { name?: string }; os: { name?: string }; device: { type?: string } } };
const UAParser = createRequire(import.meta.url)('ua-parser-js') as Parser;

/** A user agent, reduced to what analytics groups by. */
export interface ClientKind {
  /** `Chrome`, `Firefox`, … or `Unknown`. */
  browser: string;
  /** `Windows`, `macOS`, `iOS`, … or `Unknown`. */
  os: string;
  /** `desktop` (ua-parser's default), `mobile`, `tablet`, or another ua-parser device type. */
  device: string;
}

const cache = new Map<string, ClientKind>();

/** Describes a user agent (results cached, at most 1000). */
export function clientKind(userAgent: string): ClientKind {
  const hit = cache.get(userAgent);
  if (hit) return hit;
  const r = new UAParser(userAgent).getResult();
  const kind: ClientKind = { browser: r.browser.name ?? 'Unknown', os: r.os.name ?? 'Unknown', device: r.device.type ?? 'desktop' };
  if (cache.size >= 1000) cache.clear();
  cache.set(userAgent, kind);
  return kind;
}
