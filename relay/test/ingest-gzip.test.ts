/** The HTTP ingest takes gzip bodies (declared, or recognised by their magic bytes as a beacon sends them), with a cap on what they inflate to. */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { ErrorCode } from '@sentiero/protocol';
import { type TestRelay, startRelay } from '../../test/helpers/relay.ts';

const meta = { url: 'http://127.0.0.1/page', userAgent: 'Mozilla/5.0 test', startedAt: 1_700_000_000_000 };
const ev = (ts: number) => ({ type: 3, timestamp: ts, data: { source: 2, type: 2, id: 1 } });
const batch = (seq: number) => JSON.stringify({ sessionId: 'sess-gz', windowId: 'win-gz', seq, events: [ev(1000 + seq)], meta });

describe('relay ingest: gzip over HTTP', () => {
  let t: TestRelay;
  beforeEach(async () => { t = await startRelay({ limits: { maxPayloadBytes: 64 * 1024 }, recorder: { maxBatchBytes: 32 * 1024 } }); });
  afterEach(async () => { await t.close(); });

  const post = (body: Buffer | string, headers: Record<string, string> = {}) =>
    fetch(`${t.base}/ingest`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) });

  it('stores a gzip body with Content-Encoding: gzip, and one without the header (a beacon) by its magic bytes', async () => {
    const declared = await post(gzipSync(batch(1)), { 'content-encoding': 'gzip' });
    assert.equal(declared.status, 200);
    assert.deepEqual(await declared.json(), { ack: 1 });
    const sniffed = await post(gzipSync(batch(2)));
    assert.equal(sniffed.status, 200);
    assert.deepEqual(await sniffed.json(), { ack: 2 });
    const plain = await post(batch(3));
    assert.deepEqual(await plain.json(), { ack: 3 });
    const s = (await (await t.api('/api/sessions/sess-gz')).json()) as { eventCount: number };
    assert.equal(s.eventCount, 3);
  });

  it('refuses a body that inflates past maxPayloadBytes (413, SENTIERO_PAYLOAD_TOO_LARGE), corrupt gzip (400) and an unknown encoding (415)', async () => {
    // 10 MiB of one character: a few KiB on the wire, far past the 64 KiB cap once inflated.
    const bomb = gzipSync(`{"sessionId":"sess-gz","windowId":"win-gz","seq":9,"events":[],"x":"${'a'.repeat(10 * 1024 * 1024)}"}`);
    assert.ok(bomb.length < 64 * 1024);
    for (const headers of [{ 'content-encoding': 'gzip' }, {}] as Record<string, string>[]) {
      const res = await post(bomb, headers);
      assert.equal(res.status, 413);
      assert.equal(((await res.json()) as { code: string }).code, ErrorCode.PAYLOAD_TOO_LARGE);
    }
    const corrupt = await post(Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not gzip at all')]));
    assert.equal(corrupt.status, 400);
    assert.equal(((await corrupt.json()) as { code: string }).code, ErrorCode.BAD_ENCODING);
    const unknown = await post(batch(4), { 'content-encoding': 'zstd' });
    assert.equal(unknown.status, 415);
    assert.equal(((await unknown.json()) as { code: string }).code, ErrorCode.UNSUPPORTED_ENCODING);
    assert.equal((await t.api('/api/sessions/sess-gz')).status, 404, 'nothing was stored');
  });
});
