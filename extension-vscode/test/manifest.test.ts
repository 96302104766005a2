/** package.json and the code agree: every command, view, setting and menu condition, and the status rules the menus encode. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ErrorStatus } from '@sentiero/protocol';
import { Command, REPLAY_VIEW_TYPE, Setting, View, errorGroupContextValue, sessionContextValue } from '../src/ids.ts';
import { StatusAction, actionsFor, canApply, targetStatus } from '../src/relay/status-rules.ts';
import { DEFAULT_CONFIG, parseConfig, relayUrlProblem } from '../src/config.ts';

interface Manifest {
  main: string;
  activationEvents: string[];
  contributes: {
    commands: Array<{ command: string; title: string }>;
    viewsContainers: { activitybar: Array<{ id: string }> };
    views: Record<string, Array<{ id: string }>>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
    configuration: { properties: Record<string, { default: unknown }> };
  };
}

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Manifest;
const STATUSES: ErrorStatus[] = ['unresolved', 'regressed', 'resolved', 'ignored'];

/** Evaluates the `viewItem` part of a menu's `when` clause (`viewItem == x` or `viewItem =~ /re/`) for a context value. */
function viewItemMatches(when: string, contextValue: string): boolean {
  const eq = /viewItem == ([\w.]+)/.exec(when);
  if (eq) return eq[1] === contextValue;
  const re = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(when);
  assert.ok(re, `"${when}" names a viewItem`);
  return new RegExp(re[1]!).test(contextValue);
}

describe('the extension manifest', () => {
  it('contributes exactly the commands of ids.ts, and points at the built bundle', () => {
    assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), Object.values(Command).sort());
    assert.equal(manifest.main, './dist/extension.cjs');
    const buildConfig = readFileSync(new URL('../build.config.js', import.meta.url), 'utf8');
    assert.match(buildConfig, /outfile: 'dist\/extension\.cjs'/);
    assert.ok(manifest.activationEvents.includes(`onWebviewPanel:${REPLAY_VIEW_TYPE}`), 'the serializer can restore panels');
    assert.ok(manifest.activationEvents.includes('onUri'), 'deep links activate the extension');
  });

  it('has the views of ids.ts in the Sentiero activity bar container', () => {
    assert.deepEqual(manifest.contributes.viewsContainers.activitybar.map((c) => c.id), [View.CONTAINER]);
    assert.deepEqual(manifest.contributes.views[View.CONTAINER]!.map((v) => v.id), [View.SESSIONS, View.ERRORS]);
  });

  it('declares the settings the code reads, with the same defaults', () => {
    const props = manifest.contributes.configuration.properties;
    const key = (k: string) => `${Setting.SECTION}.${k}`;
    assert.deepEqual(Object.keys(props).sort(), [key(Setting.EDITOR_CODE_LENS), key(Setting.EDITOR_STATUSES), key(Setting.RELAY_URL)].sort());
    const parsed = parseConfig({
      relayUrl: props[key(Setting.RELAY_URL)]!.default, editorStatuses: props[key(Setting.EDITOR_STATUSES)]!.default, codeLens: props[key(Setting.EDITOR_CODE_LENS)]!.default,
    });
    assert.deepEqual({ ...parsed, editorStatuses: [...parsed.editorStatuses] }, { ...DEFAULT_CONFIG, editorStatuses: [...DEFAULT_CONFIG.editorStatuses] });
  });

  it('only offers a status change in the context menu where the status rules allow it', () => {
    const menu = manifest.contributes.menus['view/item/context']!;
    const commandOf: Record<StatusAction, string> = { resolve: Command.RESOLVE_ERROR, ignore: Command.IGNORE_ERROR, reopen: Command.REOPEN_ERROR };
    for (const action of Object.values(StatusAction)) {
      const entries = menu.filter((m) => m.command === commandOf[action]);
      assert.equal(entries.length, 1, action);
      for (const status of STATUSES) {
        assert.equal(viewItemMatches(entries[0]!.when!, errorGroupContextValue(status)), canApply(action, status), `${action} on ${status}`);
      }
    }
    const watch = menu.filter((m) => m.command === Command.WATCH_SESSION);
    assert.ok(watch.every((m) => viewItemMatches(m.when!, sessionContextValue(true)) && !viewItemMatches(m.when!, sessionContextValue(false))), 'watch live only on live sessions');
  });

  it('hides the commands that need an argument from the command palette', () => {
    const hidden = manifest.contributes.menus.commandPalette!.filter((m) => m.when === 'false').map((m) => m.command).sort();
    assert.deepEqual(hidden, [Command.OPEN_SESSION, Command.WATCH_SESSION, Command.REPLAY_LAST, Command.SHOW_ERROR_SESSIONS, Command.RESOLVE_ERROR, Command.IGNORE_ERROR, Command.REOPEN_ERROR].sort());
  });
});

describe('error status changes', () => {
  it('resolve, ignore and reopen set the statuses a person may set', () => {
    assert.deepEqual(Object.values(StatusAction).map(targetStatus), ['resolved', 'ignored', 'unresolved']);
  });

  it('offers what makes sense for each status', () => {
    assert.deepEqual(actionsFor('unresolved'), ['resolve', 'ignore']);
    assert.deepEqual(actionsFor('regressed'), ['resolve', 'ignore']);
    assert.deepEqual(actionsFor('resolved'), ['ignore', 'reopen']);
    assert.deepEqual(actionsFor('ignored'), ['resolve', 'reopen']);
  });
});

describe('settings', () => {
  it('takes valid values and falls back to defaults for malformed ones', () => {
    const c = parseConfig({ relayUrl: ' http://127.0.0.1:3000/sentiero/ ', editorStatuses: ['resolved', 'nonsense'], codeLens: false });
    assert.equal(c.relayUrl, 'http://127.0.0.1:3000/sentiero');
    assert.deepEqual([...c.editorStatuses], ['resolved']);
    assert.equal(c.codeLens, false);
    const bad = parseConfig({ relayUrl: 'ftp://x', editorStatuses: 'unresolved', codeLens: 'yes' });
    assert.equal(bad.relayUrl, '');
    assert.deepEqual([...bad.editorStatuses], ['unresolved', 'regressed']);
    assert.equal(bad.codeLens, true);
  });

  it('explains what is wrong with a typed relay URL', () => {
    assert.equal(relayUrlProblem('https://app.example/sentiero'), undefined);
    assert.match(relayUrlProblem('localhost:3000')!, /http/);
    assert.match(relayUrlProblem('not a url')!, /Not a URL/);
    assert.match(relayUrlProblem('http://x/sentiero#token=1')!, /no query or fragment/);
  });
});
