/** What the Sessions and Errors trees show: sessions by local day, newest first, live ones marked; error groups with counts, sessions, last seen and status. */
import assert from 'node:assert/strict';
import type { ErrorGroup, SessionSummary } from '@sentiero/protocol';
import { countsText, dayKey, dayLabel, diagnosticMessage, duration, errorTitle, hoverText, lensTitle, replayTitle, when } from '../src/format.ts';
import {
  dayText, errorGroupText, errorSessionText, groupSessionsByDay, sessionRowKey, sessionText, sortErrorGroups, statusIcon,
} from '../src/views/tree-model.ts';

const at = (y: number, mo: number, d: number, h = 12, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();
const NOW = at(2025, 11, 26, 15, 30);

function session(id: string, startedAt: number, extra: Partial<SessionSummary> = {}): SessionSummary {
  return {
    id, startedAt, lastEventAt: startedAt + 65_000, live: false, eventCount: 120, windows: ['w1'], url: 'http://127.0.0.1:3000/about',
    pages: ['http://127.0.0.1:3000/about'], userAgent: 'Mozilla/5.0', errorCount: 0, droppedEvents: 0, ...extra,
  };
}

function group(id: string, extra: Partial<ErrorGroup> = {}): ErrorGroup {
  return {
    id, name: 'TypeError', message: "Cannot read properties of undefined (reading 'items')", origin: 'browser', status: 'unresolved',
    count: 12, sessionCount: 5, firstSeen: NOW - 3 * 86_400_000, lastSeen: NOW - 5 * 60_000, ...extra,
  };
}

describe('the Sessions tree', () => {
  it('groups sessions by local day, days and sessions newest first, counting live ones', () => {
    const sessions = [
      session('old', at(2025, 11, 20, 9)),
      session('today-early', at(2025, 11, 26, 8)),
      session('yesterday', at(2025, 11, 25, 23, 59)),
      session('today-live', at(2025, 11, 26, 15, 10), { live: true }),
      session('last-year', at(2024, 12, 31, 10)),
    ];
    const days = groupSessionsByDay(sessions, NOW);
    assert.deepEqual(days.map((d) => d.label), ['Today', 'Yesterday', 'Thu 20 Nov', 'Tue 31 Dec 2024']);
    assert.deepEqual(days[0]!.sessions.map((s) => s.id), ['today-live', 'today-early']);
    assert.deepEqual(days.map((d) => d.live), [1, 0, 0, 0]);
    assert.equal(dayText(days[0]!).description, '2 sessions · 1 live');
    assert.equal(dayText(days[1]!).description, '1 session');
    assert.deepEqual(groupSessionsByDay([], NOW), []);
  });

  it('puts a session that starts just after midnight on its own day', () => {
    assert.equal(dayKey(at(2025, 11, 26, 0, 0)), '2025-11-26');
    assert.equal(dayKey(at(2025, 11, 25, 23, 59)), '2025-11-25');
    assert.equal(dayLabel(at(2025, 11, 26, 0, 1), NOW), 'Today');
  });

  it('says where a session is, when, how long, how much, and marks it live', () => {
    const ended = sessionText(session('s1', at(2025, 11, 26, 14, 5), { errorCount: 2, windows: ['a', 'b'] }), NOW);
    assert.equal(ended.label, '14:05 /about', 'the time and the page, not the host every session shares');
    assert.equal(ended.description, '1:05 · 120 events · 2 errors · 2 tabs');
    assert.match(ended.tooltip, /Session s1\n/);
    const live = sessionText(session('s2', at(2025, 11, 26, 15, 0), { live: true }), NOW);
    assert.equal(live.description, 'live', 'nothing that changes every half second');
    assert.match(live.tooltip, /Session s2 \(live\)/);
    assert.equal(sessionText(session('s3', NOW, { url: '', pages: [] }), NOW).label, '15:30 (no page yet)');
    const two = session('s4', at(2025, 11, 26, 9, 0), { pages: ['http://127.0.0.1:3000/', 'http://127.0.0.1:3000/cart?step=2'] });
    assert.equal(sessionText(two, NOW).label, '09:00 / → /cart?step=2');
    const many = session('s5', at(2025, 11, 26, 9, 0), { pages: ['http://a.test/', 'http://a.test/b', 'http://a.test/c', 'http://a.test/d'] });
    assert.equal(sessionText(many, NOW).label, '09:00 / +3 pages');
    assert.notEqual(sessionRowKey(two), sessionRowKey({ ...two, pages: [...two.pages, 'http://127.0.0.1:3000/done'] }), 'a new page redraws the row');
  });

  it("names a replay's tab after the session's pages, start and length, not its id", () => {
    assert.equal(replayTitle('0mxc1mlkabcdef', session('0mxc1mlkabcdef', at(2025, 11, 26, 14, 5))), '/about · 14:05 · 1:05');
    assert.equal(replayTitle('0mxc1mlkabcdef', session('0mxc1mlkabcdef', at(2025, 11, 26, 14, 5), { live: true })), '/about · 14:05 · live');
    assert.equal(replayTitle('0mxc1mlkabcdef'), 'Replay 0mxc1mlk', 'until the session is known');
  });

  it("redraws a live session's row only when what it shows changes", () => {
    const live = session('s', NOW, { live: true });
    assert.equal(sessionRowKey({ ...live, eventCount: 999, lastEventAt: NOW + 5000 }), sessionRowKey(live), 'new events of a live session');
    assert.notEqual(sessionRowKey({ ...live, errorCount: 1 }), sessionRowKey(live), 'an error');
    assert.notEqual(sessionRowKey({ ...live, live: false }), sessionRowKey(live), 'the end');
    const ended = session('s', NOW);
    assert.notEqual(sessionRowKey({ ...ended, eventCount: 121 }), sessionRowKey(ended), 'an ended session shows its event count');
  });
});

describe('the Errors tree', () => {
  it('lists groups most recently seen first', () => {
    const sorted = sortErrorGroups([group('a', { lastSeen: 1 }), group('b', { lastSeen: 3 }), group('c', { lastSeen: 2 })]);
    assert.deepEqual(sorted.map((g) => g.id), ['b', 'c', 'a']);
  });

  it('shows the error, its counts, the sessions affected, when it was last seen and its status', () => {
    const text = errorGroupText(group('g', { culprit: { file: 'http://127.0.0.1:3000/app.js', line: 38, inApp: true } }), NOW);
    assert.equal(text.label, "TypeError: Cannot read properties of undefined (reading 'items')");
    assert.equal(text.description, '12× in 5 sessions · last 15:25 · unresolved', 'an absolute time: it does not go stale as the row sits there');
    assert.match(text.tooltip, /at http:\/\/127\.0\.0\.1:3000\/app\.js:38/);
    const mapped = errorGroupText(group('g', { culprit: { file: 'x.js', line: 1, inApp: true, original: { file: 'src/cart.ts', line: 4, column: 2 } } }), NOW);
    assert.match(mapped.tooltip, /at src\/cart\.ts:4/, 'the original position when the relay mapped it');
    assert.equal(errorGroupText(group('g', { status: 'resolved', count: 1, sessionCount: 1, lastSeen: at(2025, 11, 25, 9, 7) }), NOW).description, '1× in 1 session · last Yesterday 09:07 · resolved');
    assert.doesNotMatch(errorGroupText(group('g'), NOW).tooltip, /ago/);
    const occ = { sessionId: 'abcdef1234567890', count: 3, firstSeen: NOW - 7_200_000, lastSeen: NOW - 30_000 };
    const s = errorSessionText(occ, NOW);
    assert.deepEqual([s.label, s.description], ['Session abcdef12', '3× · last 15:29']);
    assert.equal(errorSessionText(occ, NOW, session('abcdef1234567890', at(2025, 11, 26, 13, 0))).label, '13:00 /about', 'named like in the Sessions view when listed');
    assert.equal(when(at(2024, 12, 31, 10, 0), NOW), 'Tue 31 Dec 2024 10:00');
    assert.deepEqual(['unresolved', 'regressed', 'resolved', 'ignored'].map((st) => statusIcon(st as ErrorGroup['status'])), ['error', 'warning', 'pass', 'circle-slash']);
  });

  it('writes the CodeLens and the diagnostic text on one line, cut when long', () => {
    const g = group('g', { message: `line one\n  line two ${'x'.repeat(300)}` });
    assert.doesNotMatch(errorTitle(g), /\n/);
    assert.ok(errorTitle(g).length <= 120 && errorTitle(g).endsWith('…'));
    assert.match(lensTitle(group('g')), /^TypeError: Cannot read properties of undefined \(reading 'items'\) — 12× in 5 sessions$/);
    assert.equal(countsText({ count: 1, sessionCount: 1 }), '1× in 1 session');
    assert.match(diagnosticMessage(group('g', { status: 'regressed' })), /\(regressed\)$/);
    assert.equal(duration(3_723_000), '1:02:03');
  });

  it('has the hover say what the diagnostic does not: status, counts, first and last time, and the links', () => {
    const h = hoverText(group('g'), NOW);
    assert.equal(h.head, 'unresolved browser error');
    assert.equal(h.counts, '12× in 5 sessions · first Sun 23 Nov 15:30 · last 15:25 (5 min ago)');
    assert.equal(h.showAll, 'Show all 5 sessions');
    assert.doesNotMatch(Object.values(h).join(' '), /Cannot read properties/, 'not the message: the diagnostic above it in the hover says it');
    assert.equal(hoverText(group('g', { sessionCount: 1 }), NOW).showAll, 'Show the session');
  });
});
