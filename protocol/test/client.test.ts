import assert from 'node:assert/strict';
import { createClient } from '@sentiero/protocol';

/** A fetch that answers every request with `parts` as the body, one chunk each; notes a cancel. */
function fakeFetch(parts: Uint8Array[], seen: { cancelled: boolean }): typeof fetch {
  return (async () => {
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < parts.length) controller.enqueue(parts[i++]!);
        else controller.close();
      },
      cancel() {
        seen.cancelled = true;
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'application/x-ndjson' } });
  }) as typeof fetch;
}

/** Cuts `bytes` at the given offsets. */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    out.push(bytes.slice(from, to));
    from = to;
  }
  return out;
}

async function read(parts: Uint8Array[]) {
  const seen = { cancelled: false };
  const client = createClient({ baseUrl: 'http://relay.test/sentiero', token: 't', fetch: fakeFetch(parts, seen) });
  const lines = [];
  for await (const line of client.getEvents('s1')) lines.push(line);
  return { lines, seen };
}

const LINES = [
  { windowId: 'w1', seq: 1, events: [{ type: 4, timestamp: 1, data: { href: 'https://shop.test/é' } }] },
  { windowId: 'w1', seq: 2, events: [{ type: 5, timestamp: 2, data: { tag: 'note', payload: { text: 'naïve – 日本語 🚀' } } }] },
  { windowId: 'w2', seq: 1, events: [] },
];
const BYTES = new TextEncoder().encode(LINES.map((l) => JSON.stringify(l)).join('\n') + '\n');

describe('client.getEvents', () => {
  it('reads every line whole, in one chunk', async () => {
    assert.deepEqual((await read([BYTES])).lines, LINES);
  });

  it('reads lines cut anywhere, inside multi-byte characters too, byte by byte at worst', async () => {
    const rocket = BYTES.indexOf(0xf0);
    assert.ok(rocket > 0);
    assert.deepEqual((await read(cut(BYTES, [rocket + 1, rocket + 2, rocket + 3]))).lines, LINES);
    assert.deepEqual((await read(cut(BYTES, Array.from({ length: BYTES.length - 1 }, (_, i) => i + 1)))).lines, LINES);
    const newline = BYTES.indexOf(0x0a);
    assert.deepEqual((await read(cut(BYTES, [newline, newline + 1]))).lines, LINES);
  });

  it('reads a last line without its newline, and skips empty lines', async () => {
    const text = `\n${JSON.stringify(LINES[0])}\n\n${JSON.stringify(LINES[1])}`;
    assert.deepEqual((await read([new TextEncoder().encode(text)])).lines, LINES.slice(0, 2));
    assert.deepEqual((await read([new TextEncoder().encode('\n \n')])).lines, []);
  });

  it('a malformed line rejects the stream', async () => {
    await assert.rejects(read([new TextEncoder().encode(`${JSON.stringify(LINES[0])}\n{"windowId":\n`)]), SyntaxError);
  });

  it('stopping early cancels the download', async () => {
    const seen = { cancelled: false };
    const bytewise = cut(BYTES, Array.from({ length: BYTES.length - 1 }, (_, i) => i + 1));
    const client = createClient({ baseUrl: 'http://relay.test/sentiero', token: 't', fetch: fakeFetch(bytewise, seen) });
    for await (const line of client.getEvents('s1')) {
      assert.deepEqual(line, LINES[0]);
      break;
    }
    assert.equal(seen.cancelled, true);
    const whole = await read(cut(BYTES, [10]));
    assert.equal(whole.seen.cancelled, false);
  });
});
