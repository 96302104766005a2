/**
 * The tracked-event CodeLens's parts without VS Code: finding `data-sentiero-track` attributes
 * in source text, the lens's words, and the counts read from a real relay's analytics overview
 * (real LevelDB, the viewer tests' known sessions through the real ingest).
 */
import assert from 'node:assert/strict';
import { createAnalyticsApi } from '@sentiero/viewer/analytics-api';
import { waitFor } from '../../test/helpers/net.ts';
import { type TestRelay, startRelay } from '../../test/helpers/relay.ts';
import { seedSessions } from '../../viewer/test/analytics-seed.ts';
import { storeSession } from '../../viewer/test/helpers.ts';
import { findTrackAttributes, trackLensTitle } from '../src/editor/track-attributes.ts';
import { TrackCounts } from '../src/editor/track-counts.ts';

describe('vscode: tracked-event CodeLens', () => {
  it('finds each attribute with its name, line and column, in HTML and JSX', () => {
    const text = [
      '<button data-sentiero-track="signup">Sign up</button>',
      '  <form data-sentiero-track-submit=\'checkout\'>',
      'const b = <a data-sentiero-track={"plan-picked"} href="#">Pro</a>;',
      '<div data-sentiero-track-view=`hero`></div> <i data-sentiero-track="x"></i>',
      '<p data-sentiero-tracking="not-this">',
    ].join('\n');
    assert.deepEqual(findTrackAttributes(text), [
      { name: 'signup', line: 0, column: 8 },
      { name: 'checkout', line: 1, column: 8 },
      { name: 'plan-picked', line: 2, column: 13 },
      { name: 'hero', line: 3, column: 5 },
      { name: 'x', line: 3, column: 47 },
    ]);
    assert.deepEqual(findTrackAttributes('<b data-sentiero-track="">'), [], 'an empty name is no event');
  });

  it('says how often, or that it did not fire, or that it is not known yet', () => {
    assert.equal(trackLensTitle('signup', 1234, 7), 'Sentiero: "signup" fired 1,234 times in the last 7 days');
    assert.equal(trackLensTitle('signup', 1, 7), 'Sentiero: "signup" fired 1 time in the last 7 days');
    assert.equal(trackLensTitle('signup', 0, 7), 'Sentiero: "signup" not fired in the last 7 days');
    assert.equal(trackLensTitle('signup', undefined, 7), 'Sentiero: "signup" (no figures yet)');
  });

  describe('counts from a real relay', function () {
    this.timeout(90_000);
    let t: TestRelay;
    before(async () => {
      t = await startRelay({ limits: { liveGraceMs: 1000 } });
      for (const s of seedSessions(Date.now() - 3 * 86_400_000)) await storeSession(t, s.sessionId, 'w1', s.events, s.userAgent);
      for (const s of seedSessions(Date.now() - 10 * 86_400_000, 'oldsession')) await storeSession(t, s.sessionId, 'w1', s.events, s.userAgent);
    });
    after(async () => { await t?.close(); });

    it('counts the last 7 days only, and follows a change of relay', async () => {
      const counts = new TrackCounts(createAnalyticsApi(t.base, t.relay.token));
      let changes = 0;
      counts.onDidChange(() => changes++);
      await waitFor(() => counts.count('signup') === 1, { what: 'the signup count', timeoutMs: 30_000 });
      assert.equal(counts.count('plan-picked'), 1, 'the 10-day-old visit is not counted');
      assert.equal(counts.count('never-sent'), 0);
      assert.ok(changes >= 1);
      counts.setApi(undefined);
      assert.equal(counts.count('signup'), undefined, 'no relay, no figures');
      counts.setApi(createAnalyticsApi(t.base, 'a-wrong-token-0123456789'));
      await counts.refresh();
      assert.equal(counts.count('signup'), undefined, 'a refused token gives no figures');
      counts.dispose();
    });
  });
});
