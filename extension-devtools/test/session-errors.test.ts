import assert from 'node:assert/strict';
import { CustomTag, EventType, type RecordedEvent } from '@sentiero/protocol';
import { MAX_ERRORS, type PanelError, errorsIn, mergeErrors, sourceLocations } from '../src/session-errors.ts';
import { frameLabels } from '../src/panel-view.ts';

const errorEvent = (timestamp: number, payload: unknown): RecordedEvent => ({ type: EventType.Custom, timestamp, data: { tag: CustomTag.ERROR, payload } });

describe('the errors of a session', () => {
  it('reads sentiero/error@1 events, with the relay\'s frames, and skips everything else', () => {
    const events: RecordedEvent[] = [
      { type: EventType.IncrementalSnapshot, timestamp: 1, data: { source: 2 } },
      errorEvent(2, {
        name: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at f (http://a.test/app.js:1:2)',
        frames: [
          { function: 'total', file: 'http://a.test/app.min.js', line: 1, column: 825, inApp: true, original: { file: 'src/cart.ts', line: 12, column: 5 } },
          { file: 'http://a.test/vendor.js', line: 3, inApp: false },
          { function: 'native', inApp: false },
        ],
      }),
      { type: EventType.Custom, timestamp: 3, data: { tag: CustomTag.EVENT, payload: { name: 'signup' } } },
      errorEvent(4, 'not an object'),
    ];
    const errors = errorsIn({ windowId: 'w1', seq: 7, events });
    assert.equal(errors.length, 1);
    const [e] = errors;
    assert.equal(e!.key, 'w1:7:1');
    assert.deepEqual([e!.name, e!.message, e!.timestamp, e!.windowId], ['TypeError', 'x is undefined', 2, 'w1']);
    assert.deepEqual(e!.frames, [
      { url: 'http://a.test/app.min.js', line: 1, column: 825, fn: 'total', inApp: true, original: { file: 'src/cart.ts', line: 12, column: 5 } },
      { url: 'http://a.test/vendor.js', line: 3, inApp: false },
    ]);
  });

  it('lists a mapped frame by its original position, the running one beside it, and opens the original first', () => {
    const mapped = { url: 'http://a.test/assets/app.min.js', line: 1, column: 825, fn: 'total', inApp: true, original: { file: 'src/cart.ts', line: 12, column: 5 } };
    assert.deepEqual(frameLabels(mapped), { main: 'cart.ts:12:5', mainTitle: 'src/cart.ts:12:5', running: 'app.min.js:1:825', runningTitle: 'http://a.test/assets/app.min.js:1:825' });
    assert.deepEqual(sourceLocations(mapped), [
      { url: 'http://a.test/assets/src/cart.ts', line: 12, column: 5 },
      { url: 'http://a.test/src/cart.ts', line: 12, column: 5 },
      { url: 'http://a.test/assets/app.min.js', line: 1, column: 825 },
    ]);
    assert.deepEqual(sourceLocations({ ...mapped, original: { file: 'webpack://shop/src/cart.ts', line: 3, column: 1 } })[0], { url: 'webpack://shop/src/cart.ts', line: 3, column: 1 }, 'a source URL is taken as it is');
    const plain = { url: 'http://a.test/app.js', line: 37, column: 9 };
    assert.deepEqual(frameLabels(plain), { main: 'app.js:37:9', mainTitle: 'http://a.test/app.js:37:9' });
    assert.deepEqual(sourceLocations(plain), [{ url: 'http://a.test/app.js', line: 37, column: 9 }]);
  });

  it('parses the stack when the event has no frames (V8 and Firefox formats)', () => {
    const [v8] = errorsIn({ windowId: 'w', seq: 1, events: [errorEvent(1, { name: 'Error', message: 'boom', stack: 'Error: boom\n    at onClick (http://a.test/app.js:37:9)\n    at http://a.test/lib.js:2:1' })] });
    assert.deepEqual(v8!.frames, [{ url: 'http://a.test/app.js', line: 37, column: 9, fn: 'onClick' }, { url: 'http://a.test/lib.js', line: 2, column: 1 }]);
    const [gecko] = errorsIn({ windowId: 'w', seq: 1, events: [errorEvent(1, { name: 'Error', message: 'boom', stack: 'onClick@http://a.test/app.js:37:9\n' })] });
    assert.deepEqual(gecko!.frames, [{ url: 'http://a.test/app.js', line: 37, column: 9, fn: 'onClick' }]);
  });

  it('merges batches of several windows into one list in time order, each error once, newest kept past the limit', () => {
    const mk = (key: string, timestamp: number): PanelError => ({ key, timestamp, windowId: 'w', name: 'E', message: key, frames: [] });
    let list = mergeErrors([], [mk('a', 10), mk('b', 30)]);
    list = mergeErrors(list, [mk('c', 20), mk('a', 10), mk('d', 30)]);
    assert.deepEqual(list.map((e) => e.key), ['a', 'c', 'b', 'd']);
    const many = Array.from({ length: MAX_ERRORS + 5 }, (_, i) => mk(`k${i}`, i));
    const capped = mergeErrors([], many);
    assert.equal(capped.length, MAX_ERRORS);
    assert.equal(capped[0]!.key, 'k5');
  });
});
