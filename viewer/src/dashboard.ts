/**
 * The relay's dashboard (a first, small version): the token prompt, the session list kept
 * current by the sessions feed, replay and live watching with rrweb's
 * Replayer in live mode. Recorded content is shown only as text or inside rrweb's sandboxed iframe.
 */
import { type Client, type SessionSummary, type RecordedEvent, type Watch, createClient } from '@sentiero/protocol';
import { Replayer } from 'rrweb';
import type { eventWithTime } from '@rrweb/types';

const TOKEN_KEY = 'sentiero:token';
const app = document.getElementById('app')!;
const base = `${location.origin}${app.dataset.base ?? '/sentiero'}`;

/** Creates an element with text content only (never HTML). */
function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

function takeTokenFromHash(): void {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]!));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

function showLogin(message?: string): void {
  const input = h('input', { type: 'password', name: 'token', placeholder: 'Viewer token', autocomplete: 'off', 'aria-label': 'Viewer token' });
  const form = h('form', { class: 'login' }, h('h1', {}, 'Sentiero'), h('p', {}, message ?? 'Enter the viewer token printed by the relay.'), input, h('button', { type: 'submit' }, 'Open'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    localStorage.setItem(TOKEN_KEY, input.value.trim());
    void main();
  });
  app.replaceChildren(form);
  input.focus();
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

async function main(): Promise<void> {
  takeTokenFromHash();
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return showLogin();
  const client = createClient({ baseUrl: base, token });
  let first;
  try {
    first = await client.listSessions({ limit: 100 });
  } catch (err) {
    if ((err as { status?: number }).status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      return showLogin('That token was not accepted. Enter the viewer token printed by the relay.');
    }
    return showLogin(`The relay did not answer: ${(err as Error).message}`);
  }
  const list = h('ul', { class: 'sessions', 'aria-label': 'Sessions' });
  const stage = h('section', { class: 'stage' }, h('p', { class: 'hint' }, 'Pick a session to replay it, or a live one to watch it.'));
  const status = h('span', { class: 'status' });
  app.replaceChildren(h('header', {}, h('strong', {}, 'Sentiero'), status), h('main', {}, h('aside', {}, list), stage));
  const sessions = new Map<string, SessionSummary>(first.sessions.map((s) => [s.id, s]));
  const render = () => {
    const items = [...sessions.values()].sort((a, b) => b.startedAt - a.startedAt).map((s) => {
      const li = h('li', { 'data-session': s.id, tabindex: '0' },
        h('div', { class: 'url' }, s.url || '(no url)'),
        h('div', { class: 'meta' }, `${new Date(s.startedAt).toLocaleString()} · ${duration(s.lastEventAt - s.startedAt)} · ${s.eventCount} events · ${s.windows.length} tab${s.windows.length === 1 ? '' : 's'}`));
      if (s.live) li.prepend(h('span', { class: 'live-badge' }, 'LIVE'));
      li.addEventListener('click', () => void open(client, watch, s.id, stage));
      return li;
    });
    list.replaceChildren(...items);
  };
  const watch = client.watch();
  watch.onState((st) => { status.textContent = st === 'open' ? 'connected' : st; });
  watch.onSession((s) => { sessions.set(s.id, s); render(); }, (id) => { sessions.delete(id); render(); });
  render();
}

let disposeCurrent: (() => void) | undefined;

async function open(client: Client, watch: Watch, id: string, stage: HTMLElement): Promise<void> {
  disposeCurrent?.();
  disposeCurrent = undefined;
  const session = await client.getSession(id);
  const title = h('h2', {}, session.url || id);
  const target = h('div', { class: 'player' });
  stage.replaceChildren(title, target);
  stage.dataset.session = id;
  const windowId = session.windows[0];
  if (session.live) {
    // Live: rrweb's Replayer in live mode, fed by the watch socket (backlog, then live tail).
    target.classList.add('live');
    const badge = h('span', { class: 'live-badge' }, 'LIVE');
    title.prepend(badge);
    let replayer: Replayer | undefined;
    const unsubscribe = watch.subscribe(id, {
      onEvents(m) {
        if (m.windowId !== windowId) return;
        for (const e of m.events) {
          if (!replayer) {
            replayer = new Replayer([], { root: target, liveMode: true, mouseTail: false, UNSAFE_replayCanvas: false });
            replayer.startLive(e.timestamp - 500);
          }
          replayer.addEvent(e as unknown as eventWithTime);
        }
      },
      onEnd() {
        badge.textContent = 'ENDED';
      },
    });
    disposeCurrent = () => {
      unsubscribe();
      replayer?.destroy();
    };
    return;
  }
  const events: RecordedEvent[] = [];
  for await (const b of client.getEvents(id)) if (b.windowId === windowId) events.push(...b.events);
  const replayer = new Replayer(events as unknown as eventWithTime[], { root: target, mouseTail: false, skipInactive: true });
  replayer.play();
  disposeCurrent = () => replayer.destroy();
}

void main();
