/** Browser, operating system and device of a session, from its user agent (parsed with ua-parser-js). */
import UAParser from 'ua-parser-js';

/** A user agent, described for people. */
export interface ClientInfo {
  /** `Chrome 131`, or `Unknown browser`. */
  browser: string;
  /** `macOS 14.5`, `Windows 10`, or `Unknown OS`. */
  os: string;
  /** `desktop`, `mobile`, `tablet`, or another ua-parser device type. */
  device: string;
}

const cache = new Map<string, ClientInfo>();

/** Describes a user agent string (results are cached). */
export function describeClient(userAgent: string): ClientInfo {
  const hit = cache.get(userAgent);
  if (hit) return hit;
  const r = new UAParser(userAgent).getResult();
  const major = r.browser.version?.split('.')[0];
  const info: ClientInfo = {
    browser: r.browser.name ? `${r.browser.name}${major ? ` ${major}` : ''}` : 'Unknown browser',
    os: r.os.name ? `${r.os.name}${r.os.version ? ` ${r.os.version}` : ''}` : 'Unknown OS',
    device: r.device.type ?? 'desktop',
  };
  if (cache.size > 500) cache.clear();
  cache.set(userAgent, info);
  return info;
}
