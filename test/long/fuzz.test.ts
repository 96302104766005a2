/** The fuzzer of test/fuzz.test.ts at full scale: 100k generated frames and requests. */
import { assertFuzzReport, fuzzRelay } from '../helpers/fuzz.ts';

describe('fuzzing the relay (100k frames)', function () {
  this.timeout(900_000);

  it('answers every generated bad frame and request with a documented code, stays flat in memory, and serves a good recorder throughout', async () => {
    const report = await fuzzRelay({ frames: 100_000, seed: Number(process.env.FUZZ_SEED ?? 20261207) });
    assertFuzzReport(report, { maxHeapGrowth: 32 * 1024 * 1024, maxRssGrowth: 256 * 1024 * 1024 });
  });
});
