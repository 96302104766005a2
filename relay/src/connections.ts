/** Open ingest connections per client address, so that one address cannot hold the relay's sockets (`maxSocketsPerAddress`). */
import type { Duplex } from 'node:stream';

/**
 * The key an address is counted under: an IPv4 address itself, an IPv6 address by its /64
 * (one subscriber's prefix: anyone can pick a new address inside it).
 */
export function addressKey(address: string): string {
  if (!address.includes(':') || address.startsWith('::ffff:')) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Counts connections by address (`addressKey`) from the upgrade until the underlying socket closes. */
export class ConnectionCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerAddress: number) {}

  /** Counts `socket` for `address` until it closes; false (and nothing counted) when the address is at its limit. */
  admit(remoteAddress: string, socket: Duplex): boolean {
    const address = addressKey(remoteAddress);
    const n = this.open.get(address) ?? 0;
    if (n >= this.maxPerAddress) return false;
    this.open.set(address, n + 1);
    socket.once('close', () => {
      const left = (this.open.get(address) ?? 1) - 1;
      if (left > 0) this.open.set(address, left);
      else this.open.delete(address);
    });
    return true;
  }
}
