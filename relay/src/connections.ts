/** Open ingest connections per client address, so that one address cannot hold the relay's sockets (`maxSocketsPerAddress`). */
import type { Duplex } from 'node:stream';

/** Counts connections by address from the upgrade until the underlying socket closes. */
export class ConnectionCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerAddress: number) {}

  /** Counts `socket` for `address` until it closes; false (and nothing counted) when the address is at its limit. */
  admit(address: string, socket: Duplex): boolean {
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
