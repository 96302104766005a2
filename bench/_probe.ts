/**
 * What `_server.ts` can say about itself when asked (`BENCH_PROBE=1`): its event loop's delay
 * (p50, p99, max) printed on stop, and with `BENCH_PROFILE=<path prefix>` a CPU profile
 * (`<prefix>-<pid>.cpuprofile`, for Chrome DevTools) of the whole run.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const profilePrefix = process.env.BENCH_PROFILE;
const session = new Session();
if (profilePrefix) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}

/** Prints the event loop's delay and writes the CPU profile, if one was asked for. */
export async function report(): Promise<void> {
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  console.error(`relay ${process.pid}: event loop delay p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms`);
  if (!profilePrefix) return;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(`${profilePrefix}-${process.pid}.cpuprofile`, JSON.stringify(profile));
}
