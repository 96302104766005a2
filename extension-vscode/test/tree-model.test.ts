/** What the Sessions and Errors trees show: sessions by local day, newest first, live ones marked; error groups with counts, sessions, last seen and status. */
import assert from 'node:assert/strict';
import type { ErrorGroup, SessionSummary } from '@sentiero/protocol';
import { countsText, diagnosticMessage, duration, errorTitle, lensTitle } from '../src/format.ts';
import {
  dayKey, dayLabel, dayText, errorGroupText, errorSessionText, groupSessionsByDay, sessionRowKey, sessionText, sortErrorGroups, statusIcon,
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
    assert.equal(ended.label, '127.0.0.1:3000/about');
    assert.equal(ended.description, '14:05 · 1:05 · 120 events · 2 errors · 2 tabs');
    assert.match(ended.tooltip, /Session s1\n/);
    const live = sessionText(session('s2', at(2025, 11, 26, 15, 0), { live: true }), NOW);
    assert.equal(live.description, '15:00 · live', 'nothing that changes every half second');
    assert.match(live.tooltip, /Session s2 \(live\)/);
    assert.equal(sessionText(session('s3', NOW, { url: '' }), NOW).label, '(no page yet)');
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
    assert.equal(text.description, '12× in 5 sessions · 5 min ago · unresolved');
    assert.match(text.tooltip, /at http:\/\/127\.0\.0\.1:3000\/app\.js:38/);
    const mapped = errorGroupText(group('g', { culprit: { file: 'x.js', line: 1, inApp: true, original: { file: 'src/cart.ts', line: 4, column: 2 } } }), NOW);
    assert.match(mapped.tooltip, /at src\/cart\.ts:4/, 'the original position when the relay mapped it');
    assert.equal(errorGroupText(group('g', { status: 'resolved', count: 1, sessionCount: 1 }), NOW).description, '1× in 1 session · 5 min ago · resolved');
    const s = errorSessionText({ sessionId: 'abcdef1234567890', count: 3, firstSeen: NOW - 7_200_000, lastSeen: NOW - 30_000 }, NOW);
    assert.deepEqual([s.label, s.description], ['Session abcdef12', '3× · last 30 s ago']);
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
});
