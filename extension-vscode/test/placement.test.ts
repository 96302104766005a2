/** Where replay tabs open: beside the code, whichever command opened them, and together. */
import assert from 'node:assert/strict';
import { replayColumn, revealColumn } from '../src/webview/placement.ts';

describe('replay placement', () => {
  it('opens the first replay in the column right of the code', () => {
    assert.equal(replayColumn({ codeColumn: 1, replayColumns: [] }), 2);
    assert.equal(replayColumn({ codeColumn: 2, replayColumns: [] }), 3);
  });

  it('opens further replays with the ones already open, not in yet another group', () => {
    assert.equal(replayColumn({ codeColumn: 1, replayColumns: [2] }), 2);
    assert.equal(replayColumn({ codeColumn: 1, replayColumns: [3, 2] }), 2, 'the most recent');
    assert.equal(replayColumn({ codeColumn: 2, replayColumns: [2] }), 3, 'never over the code');
  });

  it('opens in the active group when there is no code open', () => {
    assert.equal(replayColumn({ replayColumns: [] }), 'active');
    assert.equal(replayColumn({ replayColumns: [2] }), 2);
  });

  it('leaves an open replay where it is unless it covers the code', () => {
    assert.equal(revealColumn(2, { codeColumn: 1, replayColumns: [2] }), 2);
    assert.equal(revealColumn(1, { codeColumn: 1, replayColumns: [1] }), 2);
    assert.equal(revealColumn(1, { codeColumn: 1, replayColumns: [1, 3] }), 3);
    assert.equal(revealColumn(undefined, { codeColumn: 1, replayColumns: [] }), undefined);
  });
});
