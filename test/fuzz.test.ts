/**
 * The relay runs inside the app's own server, so no recorder may hurt it: generated bad frames
 * and requests on every socket and route (a few thousand here; 100k in test/long/fuzz.test.ts)
 * get documented codes, the process keeps its memory, and a good recorder loses nothing.
 */
import { assertFuzzReport, fuzzRelay } from './helpers/fuzz.ts';

describe('fuzzing the relay (quick)', function () {
  this.timeout(300_000);

  it('answers every generated bad frame and request with a documented code, stays flat in memory, and serves a good recorder throughout', async () => {
    const report = await fuzzRelay({ frames: 3000, seed: Number(process.env.FUZZ_SEED ?? 20261206) });
    assertFuzzReport(report, { maxHeapGrowth: 24 * 1024 * 1024, maxRssGrowth: 160 * 1024 * 1024 });
  });
});
