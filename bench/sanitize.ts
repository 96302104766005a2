/**
 * The default sanitizers over the fixture's events (about 1 MB of rrweb JSON), against the raw
 * limit measured in the same run: `JSON.parse` of the same text, which every batch already
 * costs the relay. `npm run bench -- sanitize`.
 */
import { readFileSync } from 'node:fs';
import { SanitizerChain, defaultSanitizers } from '../relay/src/sanitize.ts';
import { FIXTURE, fmt, loadLine, median, table } from './_lib.ts';

const text = readFileSync(FIXTURE, 'utf8');
const chain = new SanitizerChain(defaultSanitizers(), { info() {}, warn() {}, error() {} });
const RUNS = 25;
const parse: number[] = [];
const sanitize: number[] = [];
for (let i = 0; i < RUNS + 3; i++) {
  const t0 = performance.now();
  const events = JSON.parse(text) as Parameters<SanitizerChain['events']>[0];
  const t1 = performance.now();
  chain.events(events, { kind: 'event' });
  const t2 = performance.now();
  if (i < 3) continue;
  parse.push(t1 - t0);
  sanitize.push(t2 - t1);
}
console.log(loadLine());
table(['per pass over the fixture', 'median ms', 'MB/s'], [
  ['JSON.parse (raw limit)', fmt(median(parse)), fmt(text.length / 1e6 / (median(parse) / 1000))],
  ['default sanitizers', fmt(median(sanitize)), fmt(text.length / 1e6 / (median(sanitize) / 1000))],
]);
console.log(`sanitizers / JSON.parse: ${fmt(median(sanitize) / median(parse), 2)}`);
