/** Unit tests of the errors view's pure logic: its routes, filters and queries, live list updates, frames, and the moment to replay. */
import assert from 'node:assert/strict';
import type { ErrorGroup } from '@sentiero/protocol';
import {
  DEFAULT_ERROR_FILTERS, frameViews, matchesErrorFilters, mergeGroups, replayMoment, toErrorQueries, upsertGroup,
} from '../src/errors.ts';
import { MarkerReader } from '../src/markers.ts';
import { formatRoute, parseRoute } from '../src/route.ts';

const g = (over: Partial<ErrorGroup>): ErrorGroup => ({
  id: 'g1', name: 'TypeError', message: "Cannot read properties of undefined (reading 'items')", origin: 'browser', status: 'unresolved',
  count: 1, sessionCount: 1, firstSeen: 1000, lastSeen: 1000, ...over,
});

describe('viewer: errors view logic', () => {
  it('parses and formats the errors routes, keeping only known statuses and valid ids', () => {
    assert.deepEqual(parseRoute('#/errors'), { view: 'errors', filters: { status: 'unresolved', q: '' } });
    const r = parseRoute('#/errors?status=resolved&q=cart%20total');
    assert.deepEqual(r, { view: 'errors', filters: { status: 'resolved', q: 'cart total' } });
    assert.equal(formatRoute(r), '#/errors?status=resolved&q=cart+total');
    assert.equal(formatRoute({ view: 'errors', filters: { ...DEFAULT_ERROR_FILTERS } }), '#/errors');
    assert.deepEqual(parseRoute('#/errors?status=<script>'), { view: 'errors', filters: { status: 'unresolved', q: '' } });
    assert.deepEqual(parseRoute('#/errors/5c0f_ab-1'), { view: 'error', groupId: '5c0f_ab-1' });
    assert.equal(formatRoute({ view: 'error', groupId: '5c0f' }), '#/errors/5c0f');
    assert.equal(parseRoute('#/errors/<img src=x>').view, 'errors');
    assert.equal(parseRoute('#/errors/%E0%A4%A').view, 'errors');
  });

  it('turns the filters into REST queries: "unresolved" also asks for regressed groups, "all" for any status', () => {
    assert.deepEqual(toErrorQueries({ status: 'unresolved', q: ' cart ' }, 50), [{ limit: 50, q: 'cart', status: 'unresolved' }, { limit: 50, q: 'cart', status: 'regressed' }]);
    assert.deepEqual(toErrorQueries({ status: 'ignored', q: '' }, 50), [{ limit: 50, status: 'ignored' }]);
    assert.deepEqual(toErrorQueries({ status: 'all', q: '' }, 50), [{ limit: 50 }]);
  });

  it('matches groups from the feed by status and by text in the type, message or culprit', () => {
    const f = { status: 'unresolved', q: '' } as const;
    assert.ok(matchesErrorFilters(g({}), f));
    assert.ok(matchesErrorFilters(g({ status: 'regressed' }), f));
    assert.ok(!matchesErrorFilters(g({ status: 'resolved' }), f));
    assert.ok(matchesErrorFilters(g({ status: 'resolved' }), { status: 'all', q: '' }));
    assert.ok(matchesErrorFilters(g({}), { status: 'all', q: 'READING' }));
    const culprit = { function: 'cartTotal', file: 'https://x/app.min.js', line: 1, column: 9, inApp: true, original: { file: 'src/cart.ts', line: 3, column: 15 } };
    assert.ok(matchesErrorFilters(g({ culprit }), { status: 'all', q: 'cart.ts' }));
    assert.ok(!matchesErrorFilters(g({ culprit }), { status: 'all', q: 'checkout' }));
  });

  it('keeps a list current: updates in place, adds new groups on top, drops those that stop matching', () => {
    const f = { status: 'unresolved', q: '' } as const;
    const list = [g({ id: 'a', lastSeen: 300 }), g({ id: 'b', lastSeen: 200 })];
    assert.deepEqual(upsertGroup(list, g({ id: 'b', lastSeen: 400, count: 2 }), f, true).map((x) => [x.id, x.count]), [['b', 2], ['a', 1]]);
    assert.deepEqual(upsertGroup(list, g({ id: 'c', lastSeen: 500 }), f, true).map((x) => x.id), ['c', 'a', 'b']);
    assert.deepEqual(upsertGroup(list, g({ id: 'a', status: 'resolved' }), f, true).map((x) => x.id), ['b']);
    assert.equal(upsertGroup(list, g({ id: 'z', status: 'ignored' }), f, true), list, 'a group that does not match leaves the list as it is');
    assert.equal(upsertGroup(list, g({ id: 'old', lastSeen: 100 }), f, false), list, 'an old group waits for "Load more"');
    assert.deepEqual(mergeGroups([g({ id: 'a', lastSeen: 1 })], [g({ id: 'b', lastSeen: 2 }), g({ id: 'a', lastSeen: 3 })]).map((x) => [x.id, x.lastSeen]), [['a', 3], ['b', 2]]);
  });

  it('shows frames at their original position with the running one beside it, and what "Open" sends', () => {
    const [mapped, plain, bare] = frameViews([
      { function: 'a', file: 'https://x/assets/app.min.js', line: 1, column: 1234, inApp: true, original: { file: 'public/app.js', line: 12, column: 25, name: 'reduce' } },
      { function: 'HTMLButtonElement.onClick', file: 'https://x/lib.js', line: 40, column: 3, inApp: false },
      { inApp: true },
    ]);
    assert.deepEqual(mapped, {
      fn: 'a', location: 'public/app.js:12:25', generated: 'https://x/assets/app.min.js:1:1234', inApp: true, mapped: true,
      open: { url: 'public/app.js', line: 12, column: 25, fn: 'a' },
    });
    assert.deepEqual(plain, { fn: 'HTMLButtonElement.onClick', location: 'https://x/lib.js:40:3', inApp: false, mapped: false, open: { url: 'https://x/lib.js', line: 40, column: 3, fn: 'HTMLButtonElement.onClick' } });
    assert.deepEqual(bare, { fn: '(anonymous)', location: '(unknown location)', inApp: true, mapped: false });
  });

  it('replays a few seconds before the error, never before the session\'s start', () => {
    assert.equal(replayMoment(10_000 + 8_500, 10_000), 5_500);
    assert.equal(replayMoment(10_000 + 1_200, 10_000), 0);
    assert.equal(replayMoment(10_000 + 8_500.7, 10_000, 1000), 7_500);
  });

  it('reads the group id of an error event into its marker, and only a valid one', () => {
    const ev = (groupId: unknown) => ({ type: 5, timestamp: 5, data: { tag: 'sentiero/error@1', payload: { name: 'TypeError', message: 'x', stack: '', groupId } } });
    const [m1, m2] = new MarkerReader('w').read([ev('5c0fab'), ev('<img src=x>')] as never);
    assert.equal(m1!.groupId, '5c0fab');
    assert.equal(m2!.groupId, undefined);
  });
});
