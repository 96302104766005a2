/**
 * The activity list's rough edges, over hand-built rrweb events of a TodoMVC-like page: only
 * the user's inputs count, typing is one entry per field per focus, and elements are named by
 * their accessible name (or the text around them) before a selector.
 */
import assert from 'node:assert/strict';
import { extractMarkers } from '../src/markers.ts';

const T0 = 1_700_000_000_000;

const el = (id: number, tagName: string, attributes: Record<string, string>, childNodes: unknown[] = []) => ({ type: 2, id, tagName, attributes, childNodes });
const text = (id: number, textContent: string) => ({ type: 3, id, textContent });

/** Todo rows: li > div.view > [checkbox, label, button.destroy]; ids 100 + 10·i onwards. */
const rows = (n: number) => Array.from({ length: n }, (_, i) => {
  const b = 100 + 10 * i;
  return el(b, 'li', {}, [el(b + 1, 'div', { class: 'view' }, [
    el(b + 2, 'input', { class: 'toggle', type: 'checkbox' }),
    el(b + 3, 'label', {}, [text(b + 4, `Todo ${i + 1}`)]),
    el(b + 5, 'button', { class: 'destroy' }),
  ])]);
});
const toggleId = (i: number) => 102 + 10 * i;
const destroyId = (i: number) => 105 + 10 * i;

const NEW_TODO = 10;
const snapshot = [
  { type: 4, timestamp: T0, data: { href: 'http://todo.test/', width: 1024, height: 640 } },
  {
    type: 2, timestamp: T0 + 1, data: {
      initialOffset: { left: 0, top: 0 },
      node: { type: 0, id: 1, childNodes: [el(2, 'html', {}, [el(3, 'body', {}, [
        el(4, 'header', {}, [el(NEW_TODO, 'input', { class: 'new-todo', placeholder: 'What needs to be done?' })]),
        el(5, 'ul', { class: 'todo-list' }, rows(8)),
        el(6, 'form', {}, [
          el(20, 'label', { for: 'email' }, [text(21, 'Email address')]),
          el(22, 'input', { id: 'email', type: 'email', placeholder: 'you@example.com' }),
          el(23, 'label', {}, [text(24, 'Remember me '), el(25, 'input', { type: 'checkbox', name: 'remember' })]),
          el(26, 'button', { class: 'icon', 'aria-label': 'Close dialog' }),
          el(27, 'img', { src: 'logo.png', alt: 'Acme logo' }),
          el(28, 'a', { href: '/help', title: 'Help centre' }),
          el(29, 'span', { id: 'q-label' }, [text(30, 'Search the docs')]),
          el(31, 'input', { type: 'search', 'aria-labelledby': 'q-label', placeholder: 'Type here' }),
          el(32, 'input', { type: 'submit', value: 'Send' }),
          el(33, 'div', { class: 'lonely' }),
          el(34, 'input', { type: 'range', 'aria-label': 'Volume' }),
        ]),
      ])])] },
    },
  },
];

const input = (at: number, id: number, extra: Record<string, unknown> = {}) => ({ type: 3, timestamp: T0 + at, data: { source: 5, id, text: '', isChecked: false, ...extra } });
const focus = (at: number, id: number) => ({ type: 3, timestamp: T0 + at, data: { source: 2, type: 5, id } });
const blur = (at: number, id: number) => ({ type: 3, timestamp: T0 + at, data: { source: 2, type: 6, id } });
const click = (at: number, id: number) => ({ type: 3, timestamp: T0 + at, data: { source: 2, type: 2, id, x: 1, y: 1 } });
const inputs = (events: unknown[]) => extractMarkers([...snapshot, ...events] as never).filter((m) => m.kind === 'input');

describe('viewer: the activity counts what the user did', () => {
  it('counts only user-made inputs when the recording says which are (userTriggered): a re-render setting 9 checkboxes adds nothing', () => {
    const events: unknown[] = [];
    for (let i = 0; i < 8; i++) {
      const at = 1000 * (i + 1);
      events.push(input(at, toggleId(i), { isChecked: true, userTriggered: true }));
      // React's re-render sets `checked` on the rows (and on the "toggle all" box) by code.
      if (i === 0) for (let j = 1; j < 8; j++) events.push(input(at + 2, toggleId(j), { isChecked: false, userTriggered: false }));
      if (i === 0 || i === 7) events.push(input(at + 3, 25, { isChecked: i === 7, userTriggered: false }));
    }
    const m = inputs(events);
    assert.equal(m.length, 8, m.map((x) => x.label).join(' | '));
    assert.deepEqual(m.map((x) => x.label), Array.from({ length: 8 }, (_, i) => `Toggled checkbox in “Todo ${i + 1}”`));
  });

  it('in a recording without the flag, the toggles a re-render makes in the same moment as the user\'s are not counted', () => {
    const events: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const at = 1000 * (i + 1);
      events.push(input(at, toggleId(i), { isChecked: true }));
      for (let j = 0; j < 8; j++) if (j !== i) events.push(input(at + 1 + j, toggleId(j), { isChecked: j < i }));
    }
    assert.deepEqual(inputs(events).map((x) => x.timestamp - T0), [1000, 2000, 3000]);
  });

  it('toggling the same checkbox twice is two entries', () => {
    assert.equal(inputs([focus(900, 25), input(1000, 25, { isChecked: true, userTriggered: true }), input(2000, 25, { isChecked: false, userTriggered: true })]).length, 2);
  });

  it('typing five todos into one field, without leaving it, is one entry; leaving and coming back starts another', () => {
    const events: unknown[] = [focus(500, NEW_TODO)];
    for (let i = 0; i < 5; i++) {
      const at = 1000 + i * 4000;
      for (let k = 0; k < 6; k++) events.push(input(at + k * 150, NEW_TODO, { text: `todo ${i}`.slice(0, k + 1), userTriggered: true }));
      // Enter: the app adds the todo and clears the field by code.
      events.push(input(at + 1000, NEW_TODO, { text: '', userTriggered: false }));
    }
    events.push(blur(22_000, NEW_TODO), click(22_500, toggleId(0)), focus(23_000, NEW_TODO), input(23_500, NEW_TODO, { text: 'a', userTriggered: true }));
    const m = inputs(events);
    assert.deepEqual(m.map((x) => [x.timestamp - T0, x.label]), [[1000, 'Typed in field “What needs to be done?”'], [23_500, 'Typed in field “What needs to be done?”']]);
  });

  it('focus moving to another field ends the typing entry, even without a blur', () => {
    const m = inputs([
      focus(100, NEW_TODO), input(200, NEW_TODO, { userTriggered: true }),
      focus(300, 22), input(400, 22, { userTriggered: true }),
      focus(500, NEW_TODO), input(600, NEW_TODO, { userTriggered: true }),
    ]);
    assert.deepEqual(m.map((x) => x.timestamp - T0), [200, 400, 600]);
  });

  it('names elements by their accessible name, then by the text around them, and only then by a selector', () => {
    const labels = extractMarkers([...snapshot, ...[destroyId(2), 26, 27, 28, 32, 33].map((id, i) => click(1000 + i * 100, id)),
      input(2000, 22, { userTriggered: true }), input(2100, 25, { isChecked: true, userTriggered: true }), input(2200, 31, { userTriggered: true }),
      input(2300, 34, { text: '40', userTriggered: true }), input(2350, 34, { text: '45', userTriggered: true })] as never)
      .filter((m) => m.kind !== 'navigation').map((m) => m.label);
    assert.deepEqual(labels, [
      'Click on button in “Todo 3”',
      'Click on button “Close dialog”',
      'Click on image “Acme logo”',
      'Click on link “Help centre”',
      'Click on button “Send”',
      'Click on div.lonely',
      'Typed in field “Email address”',
      'Toggled checkbox “Remember me”',
      'Typed in search field “Search the docs”',
      'Set slider “Volume”',
    ]);
  });
});
