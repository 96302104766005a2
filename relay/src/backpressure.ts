/**
 * Byte backpressure on ingest: every batch received counts against its socket and against
 * the relay until it is acknowledged (or refused). A socket over its own bound, or a socket
 * with bytes in flight while the relay is over its total, stops being read (`ws.pause()`: TCP
 * pushes back on the sender) and is read again as acknowledgements bring the counts down. What
 * a page can make the relay hold is then bounded by the configured bytes, not by how fast it sends.
 *
 * The total is shared out so that the heavy sockets stop first: a quarter of it is kept for
 * the first `light` bytes of each socket (a recorder with a small batch in flight), and a
 * socket holding `light` bytes or more stops being read once the total reaches the other three
 * quarters. A socket holding less is stopped only when the light bytes of all sockets fill
 * their quarter. A few sockets pipelining large batches then never stop a recorder sending
 * small ones, and the total stays within its bound as before.
 *
 * Pausing stops reads from the network, but `ws` still delivers the messages of the bytes it
 * had already read, and with permessage-deflate a few kilobytes read can inflate to many
 * batches. A socket that keeps delivering until it holds its budget twice over (or its budget
 * and one more frame, if that is more) is cut off.
 */

/** What the budget needs of a socket: `ws`'s public `pause()` / `resume()`. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** One socket's share of the budget. */
export interface SocketBytes {
  /** Counts a received batch and pauses the socket when a bound is reached; false when the socket holds past its hard limit (cut it off). */
  take(bytes: number): boolean;
  /** Releases a batch's bytes once it is acknowledged or refused; resumes what may be read again. */
  give(bytes: number): void;
  /** Releases everything the socket still holds (it closed). */
  close(): void;
}

/** The relay-wide byte budget of ingest sockets. */
export class IngestBudget {
  private total = 0;
  /** The sum over sockets of the bytes each holds up to `light`. */
  private lightTotal = 0;
  private readonly paused = new Set<Member>();

  private readonly hardLimit: number;
  private readonly light: number;
  private readonly reserve: number;

  /** `light`: what a socket may hold and still count as light (it is then read until the light bytes fill a quarter of `maxTotal`). */
  constructor(private readonly perSocket: number, private readonly maxTotal: number, maxFrame: number, light: number) {
    this.hardLimit = perSocket + Math.max(perSocket, maxFrame);
    this.light = Math.min(light, perSocket);
    this.reserve = Math.floor(maxTotal / 4);
  }

  /** Bytes received and not yet acknowledged, over all sockets. */
  get unackedBytes(): number {
    return this.total;
  }

  /** Sockets not being read right now. */
  get pausedSockets(): number {
    return this.paused.size;
  }

  /** Registers a socket. */
  join(socket: Pausable): SocketBytes {
    const m: Member = { socket, unacked: 0, closed: false };
    return {
      take: (bytes) => {
        this.count(m, bytes);
        this.settle(m);
        return m.unacked <= this.hardLimit;
      },
      give: (bytes) => {
        this.count(m, -Math.min(bytes, m.unacked));
        this.settleAll();
      },
      close: () => {
        if (m.closed) return;
        m.closed = true;
        this.paused.delete(m);
        this.count(m, -m.unacked);
        this.settleAll();
      },
    };
  }

  private count(m: Member, bytes: number): void {
    const lightBefore = Math.min(m.unacked, this.light);
    m.unacked += bytes;
    this.total += bytes;
    this.lightTotal += Math.min(m.unacked, this.light) - lightBefore;
  }

  private over(m: Member): boolean {
    if (m.unacked >= this.perSocket) return true;
    if (m.unacked === 0) return false;
    if (m.unacked < this.light) return this.lightTotal >= this.reserve;
    return this.total >= this.maxTotal - this.reserve;
  }

  private settle(m: Member): void {
    if (m.closed) return;
    const over = this.over(m);
    if (over === this.paused.has(m)) return;
    if (over) {
      this.paused.add(m);
      m.socket.pause();
    } else {
      this.paused.delete(m);
      m.socket.resume();
    }
  }

  private settleAll(): void {
    for (const m of this.paused) this.settle(m);
  }
}

interface Member {
  socket: Pausable;
  unacked: number;
  closed: boolean;
}
