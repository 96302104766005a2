/**
 * The ingest byte budget on its own, with sockets that only record whether they are read:
 * heavy sockets stop first, a light one keeps being read while the heavy ones hold the total,
 * and the light ones stop once their quarter of the total is full.
 */
import assert from 'node:assert/strict';
import { IngestBudget, type SocketBytes } from '../src/backpressure.ts';

/** A socket that says whether the budget has it paused. */
class FakeSocket {
  paused = false;
  pauses = 0;
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
  }
}

describe('relay ingest budget', () => {
  // 100 bytes per socket, 400 in total of which a quarter (100) is kept for light sockets: those holding under 10 bytes.
  const perSocket = 100;
  const total = 400;
  const light = 10;
  let budget: IngestBudget;
  const join = () => {
    const socket = new FakeSocket();
    return { socket, bytes: budget.join(socket) as SocketBytes };
  };

  beforeEach(() => {
    budget = new IngestBudget(perSocket, total, perSocket, light);
  });

  it('never stops reading a light socket while heavy sockets hold the whole total', () => {
    const good = join();
    const heavy = Array.from({ length: 5 }, join);
    // Each heavy socket takes a frame of 90: the total passes three quarters, then the whole.
    for (const h of heavy) h.bytes.take(90);
    assert.ok(budget.unackedBytes >= total, `the heavy sockets hold ${budget.unackedBytes}`);
    assert.ok(heavy.filter((h) => h.socket.paused).length >= 2, 'heavy sockets past three quarters of the total are stopped');
    // The good recorder sends a batch at a time, each acknowledged before the next.
    for (let i = 0; i < 20; i++) {
      good.bytes.take(5);
      assert.equal(good.socket.paused, false, `the light socket was stopped at its batch ${i + 1}`);
      good.bytes.give(5);
    }
    assert.equal(good.socket.pauses, 0);
  });

  it('stops a heavy socket once the total reaches three quarters, and reads it again when acknowledgements bring it down', () => {
    const [a, b, c, d] = Array.from({ length: 4 }, join);
    a!.bytes.take(90);
    b!.bytes.take(90);
    c!.bytes.take(90);
    assert.equal(c!.socket.paused, false, 'at 270 of 400 the heavy sockets are still read');
    d!.bytes.take(40);
    assert.equal(d!.socket.paused, true, 'at 310 a heavy socket that takes more is stopped, under its own bound and the whole total');
    c!.bytes.give(90);
    assert.equal(d!.socket.paused, false, 'read again once the total is back under three quarters');
  });

  it('stops light sockets holding bytes once the light ones fill their quarter, so the total stays bounded', () => {
    const heavy = Array.from({ length: 5 }, join);
    for (const h of heavy) h.bytes.take(90);
    const lights = Array.from({ length: 20 }, join);
    for (const l of lights) l.bytes.take(9);
    // The light sockets together hold at most their quarter, give or take the frame each was reading.
    const readLight = lights.filter((l) => !l.socket.paused).length;
    assert.ok(readLight <= Math.ceil(total / 4 / 9), `${readLight} light sockets are still read`);
    assert.ok(lights.some((l) => l.socket.paused), 'no light socket was stopped');
    for (const l of lights) l.bytes.give(9);
    assert.ok(lights.every((l) => !l.socket.paused), 'a light socket holding nothing is read again');
  });
});
