/**
 * Console capture (`captureConsole`) in real Chromium against the fake relay: every level,
 * arguments previewed safely (cycles, DOM nodes without values, errors with stacks, huge
 * strings capped), repeats folded, the page's console still called, the recorder's own lines
 * never recorded, a throwing console left to throw, and `stop()` undoing it all.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { ConsolePayload } from '@sentiero/protocol';
import { waitFor } from '../../test/helpers/net.ts';
import { CONSOLE_LIMITS } from '../src/features/console.ts';
import { type Harness, type PageGlobal, TEST_PAGE, customEvents, pageQuery, usePage } from './harness.ts';

const consoleOf = (h: Harness, g: PageGlobal): ConsolePayload[] =>
  customEvents(h.events(g.sessionId, g.windowId), 'sentiero/console@1').map((e) => e.payload as unknown as ConsolePayload);

async function recording(page: Page): Promise<PageGlobal> {
  return waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: PageGlobal }).__SENTIERO__), { what: 'recording' });
}

async function until(h: Harness, g: PageGlobal, done: (c: ConsolePayload[]) => boolean, what: string): Promise<ConsolePayload[]> {
  return waitFor(() => {
    const c = consoleOf(h, g);
    return done(c) ? c : undefined;
  }, { what });
}

describe('recorder: console capture (real Chromium)', () => {
  const env = usePage();

  it('records every level with safe previews, folds repeats, and still calls the page\'s console', async () => {
    const { h, page } = env;
    const seen: string[] = [];
    page.on('console', (m) => seen.push(`${m.type()} ${m.text()}`));
    await page.goto(`${h.origin}/page${pageQuery({ captureConsole: true })}`);
    const g = await recording(page);
    await page.fill('#text', 'SECRET-TYPED-4471');
    await page.evaluate(() => {
      const cyclic: Record<string, unknown> = { name: 'loop', list: [1, 2, 3] };
      cyclic.self = cyclic;
      const input = document.getElementById('text');
      console.log('plain', 42, true, null, undefined, cyclic);
      console.info('info', { nested: { deeper: { deepest: { gone: 1 } } } });
      console.warn('dom', input, document.body, document.createTextNode('TEXT-NODE-CONTENT'));
      console.error(new TypeError('kaboom'));
      console.debug('types', new Function('return function named() {}')(), Symbol('sym'), 10n, new Map([['k', 1]]), new Set([1]), new Date(0), /re/g);
      console.assert(true, 'never written');
      console.assert(document.title === 'not the title', 'math is broken');
      console.trace('where am I');
      console.log('x'.repeat(100_000));
      for (let i = 0; i < 50; i++) console.log('tick', 7);
      console.log('after the ticks');
    });
    const c = await until(h, g, (x) => x.some((p) => p.args[0] === 'after the ticks'), 'the console events');
    const byFirst = (s: string) => c.find((p) => p.args[0] === s && !p.count);
    assert.deepEqual(byFirst('plain')?.args, ['plain', '42', 'true', 'null', 'undefined', '{name: "loop", list: [1, 2, 3], self: [Circular]}']);
    assert.equal(byFirst('plain')?.level, 'log');
    assert.deepEqual(byFirst('info')?.args, ['info', '{nested: {deeper: {deepest: {…}}}}']);
    assert.equal(byFirst('info')?.level, 'info');
    assert.deepEqual(byFirst('dom')?.args, ['dom', '<input#text>', '<body>', '#text']);
    assert.equal(byFirst('dom')?.level, 'warn');
    const err = c.find((p) => p.level === 'error');
    assert.match(err?.args[0] ?? '', /^TypeError: kaboom\n\s+at /, 'an Error keeps its stack');
    assert.ok(err?.stack, 'console.error carries the caller\'s stack');
    assert.deepEqual(byFirst('types')?.args, ['types', 'ƒ named()', 'Symbol(sym)', '10n', 'Map(1) {"k" => 1}', 'Set(1) {1}', '1970-01-01T00:00:00.000Z', '/re/g']);
    assert.equal(byFirst('types')?.level, 'debug');
    const asserts = c.filter((p) => p.level === 'assert');
    assert.deepEqual(asserts.map((p) => p.args), [['math is broken']], 'only the failed assertion');
    const trace = c.find((p) => p.level === 'trace');
    assert.equal(trace?.args[0], 'where am I');
    assert.match(trace?.stack ?? '', /at /);
    assert.doesNotMatch(trace?.stack ?? '', /recorder\.js/, 'the recorder\'s own frames are not in the stack');
    const huge = c.find((p) => p.args[0]?.startsWith('xxxx'));
    assert.ok(huge && huge.args[0].length < CONSOLE_LIMITS.maxArgChars + 40, `a huge string is capped (${huge?.args[0].length})`);
    assert.match(huge.args[0], /… \(100000 chars\)$/);
    const ticks = c.filter((p) => p.args[0] === 'tick');
    assert.deepEqual(ticks.map((p) => p.count), [undefined, 49], 'fifty identical messages: one, then a fold of 49');
    const wire = h.raw.join('\n');
    for (const secret of ['SECRET-TYPED-4471', 'TEXT-NODE-CONTENT', 'never written']) assert.ok(!wire.includes(secret), `${secret} never leaves the page`);
    // The page's console got every call, with the same arguments.
    assert.ok(seen.includes('log plain 42 true null undefined {name: loop, list: Array(3), self: Object}') || seen.some((s) => s.startsWith('log plain 42')), seen.slice(0, 3).join(' | '));
    assert.equal(seen.filter((s) => s === 'log tick 7').length, 50);
    assert.ok(seen.some((s) => s.startsWith('assert') && s.includes('math is broken')));
  });

  it('never records the recorder\'s own lines, leaves a throwing console to throw, is off by default, and stop() restores the console', async () => {
    const { h, page } = env;
    const seen: string[] = [];
    page.on('console', (m) => seen.push(m.text()));
    h.pages.set('/own', TEST_PAGE.replace('<script src="/sentiero/recorder.js"></script>', `<script>
      console.warn = function () { throw new Error('the page console broke'); };
    </script><script src="/sentiero/recorder.js"></script>`).replace("opts.onError = q.get('onError')", "if (q.get('quiet') !== 'no') opts.onError = q.get('onError')"));
    await page.goto(`${h.origin}/own${pageQuery({ captureConsole: true }, { quiet: 'no' })}`);
    const g = await recording(page);
    const result = await page.evaluate(() => {
      const S = (window as unknown as { Sentiero: { start(o?: unknown): boolean; stop(): void } }).Sentiero;
      S.start({ captureConsole: true }); // already recording: the recorder says so on its default console.debug
      let thrown = '';
      try {
        console.warn('to a broken console');
      } catch (e) {
        thrown = (e as Error).message;
      }
      console.log('still recording');
      return { thrown, wrapped: !String(console.log).includes('[native code]') };
    });
    assert.deepEqual(result, { thrown: 'the page console broke', wrapped: true });
    const c = await until(h, g, (x) => x.some((p) => p.args[0] === 'still recording'), 'the log after the broken warn');
    assert.ok(c.some((p) => p.level === 'warn' && p.args[0] === 'to a broken console'), 'the call was recorded before the page\'s console threw');
    assert.ok(seen.some((s) => s.startsWith('[sentiero] SENTIERO_RECORDER_BAD_OPTION')), 'the recorder\'s own line reached the console');
    assert.ok(!c.some((p) => p.args.some((a) => a.includes('[sentiero]'))), 'and was not recorded');
    const restored = await page.evaluate(() => {
      (window as unknown as { Sentiero: { stop(): void } }).Sentiero.stop();
      return ['log', 'info', 'error', 'debug', 'trace', 'assert'].every((m) => String((console as unknown as Record<string, unknown>)[m]).includes('[native code]'));
    });
    assert.equal(restored, true, 'stop() put the native methods back');

    const tab = await env.context.newPage();
    await tab.goto(`${h.origin}/page${pageQuery()}`);
    const g2 = await recording(tab);
    assert.notEqual(g2.windowId, g.windowId);
    await tab.evaluate(() => console.log('not captured by default'));
    await waitFor(() => h.events(g2.sessionId, g2.windowId).length > 3 || undefined, { what: 'some events' });
    assert.equal(await tab.evaluate(() => String(console.log).includes('[native code]')), true);
    assert.deepEqual(consoleOf(h, g2), []);
  });
});
