/**
 * The panel's own DOM around the viewer: a bar with the inspected page's session, a notice
 * that says what is wrong (no recorder, relay down, token needed or refused) with the token
 * form, and the session's error list. Everything from a page or a relay is set as text.
 */
import { type PanelController, type PanelState, PanelStatus } from './controller.ts';
import type { PanelError, PanelErrorFrame } from './session-errors.ts';

type Attrs = Record<string, string | undefined>;

/** Creates an element with attributes and children (text is always text, never HTML). */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** "3 s ago", "2 min ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ago` : `${Math.floor(m / 60)} h ago`;
}

/** The short form of a script URL for a frame: its path's last part with line and column. */
export function frameLabel(f: Pick<PanelErrorFrame, 'url' | 'line' | 'column'>): string {
  let name = f.url;
  try {
    const u = new URL(f.url);
    name = u.pathname.split('/').filter(Boolean).pop() || u.host;
  } catch { /* not a URL: show it whole */ }
  return `${name}:${f.line}${f.column ? `:${f.column}` : ''}`;
}

/** How a frame is listed: the original position when the relay mapped it (`cart.ts:12:5`), and the running one beside it (`app.min.js:1:825`). */
export function frameLabels(f: PanelErrorFrame): { main: string; mainTitle: string; running?: string; runningTitle?: string } {
  const runningTitle = `${f.url}:${f.line}${f.column ? `:${f.column}` : ''}`;
  if (!f.original) return { main: frameLabel(f), mainTitle: runningTitle };
  const o = f.original;
  const name = o.file.split('/').filter(Boolean).pop() || o.file;
  return { main: `${name}:${o.line}:${o.column}`, mainTitle: `${o.file}:${o.line}:${o.column}`, running: frameLabel(f), runningTitle };
}

/** The panel document's title: what it shows, in a few words (also how a test outside the panel can read it). */
export function panelTitle(state: PanelState): string {
  switch (state.status) {
    case PanelStatus.CONNECTED: {
      const s = state.session;
      if (!s) return 'Sentiero: connected';
      return `Sentiero: session ${s.id}${s.recording ? ' (live)' : ''}, ${s.events} event${s.events === 1 ? '' : 's'}, ${state.errors.length} error${state.errors.length === 1 ? '' : 's'}`;
    }
    case PanelStatus.NEED_TOKEN: return state.tokenRejected ? 'Sentiero: token refused' : 'Sentiero: token needed';
    case PanelStatus.NO_RECORDER: return 'Sentiero: no recorder on this page';
    case PanelStatus.UNREACHABLE: return 'Sentiero: relay unreachable';
    case PanelStatus.UNREADABLE: return 'Sentiero: page unreadable';
    case PanelStatus.CHECKING: return 'Sentiero: connecting';
    case PanelStatus.READING: return 'Sentiero';
  }
}

/** Guidance under the notice while the viewer is not shown; odd parts of a line are code. */
const HELP: Partial<Record<PanelStatus, string[][]>> = {
  [PanelStatus.NO_RECORDER]: [
    ['The Sentiero panel shows the session of the page you inspect, live, and replays it. To record a page:'],
    ['1. Attach the relay to the app\'s Node server: ', 'createRelay().attach(server)', '.'],
    ['2. Load the recorder in the page: ', '<script src="/sentiero/recorder.js"></script><script>Sentiero.start({ captureErrors: true })</script>', '.'],
    ['3. Reload the page. The panel finds ', 'window.__SENTIERO__', ' and follows the session.'],
  ],
  [PanelStatus.NEED_TOKEN]: [
    ['The relay prints its viewer token when it starts (the demo\'s ', 'npm start', ' shows it as ', 'token: …', '), or takes it from ', 'SENTIERO_TOKEN', '.'],
    ['The token is kept in this extension for this origin only and sent only to this relay. "Tokens" lists, changes and forgets them.'],
  ],
  [PanelStatus.UNREACHABLE]: [
    ['The page says it records to this relay, but nothing answers there. Start the app\'s server again; the panel reconnects by itself.'],
  ],
};

/** Options of `createPanelView`. */
export interface PanelViewOptions {
  /** Opens the extension's options page. */
  openOptions(): void;
}

/** Builds the panel's DOM in `root` and keeps it in step with the controller; returns the viewer's mount point. */
export function createPanelView(root: HTMLElement, controller: PanelController, options: PanelViewOptions): { viewerRoot: HTMLElement; dispose(): void } {
  const sessionId = el('code', { id: 'sp-session-id', title: 'The inspected page\'s session id' });
  const live = el('span', { class: 'sp-live', id: 'sp-live' }, 'LIVE');
  const count = el('span', { id: 'sp-event-count', 'data-count': '0' });
  const lastEvent = el('span', { id: 'sp-last-event', class: 'sp-muted' });
  const sessionInfo = el('span', { class: 'sp-session', id: 'sp-session' }, el('span', { class: 'sp-muted' }, 'This page:'), ' ', sessionId, ' ', live, ' ', count, ' ', lastEvent);
  const follow = el('button', { type: 'button', id: 'sp-follow', title: 'Show the inspected page\'s session again, and follow it' }, 'Back to this page');
  const sessions = el('button', { type: 'button', id: 'sp-sessions', title: 'Every session of this relay' }, 'All sessions');
  const errorsToggle = el('button', { type: 'button', id: 'sp-errors-toggle', 'aria-expanded': 'false', 'aria-controls': 'sp-errors' }, 'Errors');
  const tokens = el('button', { type: 'button', id: 'sp-tokens', title: 'Viewer tokens, per relay' }, 'Tokens');
  const overlay = el('button', { type: 'button', id: 'sp-overlay', 'aria-pressed': 'false', title: 'Draw the last 7 days\' clicks and rage, dead and error clicks over the inspected page' }, 'Heatmap on page');
  const bar = el('header', { class: 'sp-bar' },
    el('img', { src: 'icons/icon-32.png', alt: '', width: '16', height: '16' }), el('strong', {}, 'Sentiero'), sessionInfo,
    el('span', { class: 'sp-spacer' }), follow, sessions, overlay, errorsToggle, tokens);

  const noticeText = el('p', { id: 'sp-notice-text' });
  const tokenInput = el('input', { type: 'password', id: 'sp-token', name: 'token', autocomplete: 'off', spellcheck: 'false', placeholder: 'Viewer token', 'aria-label': 'Viewer token' });
  const tokenForm = el('form', { id: 'sp-token-form', class: 'sp-token-form' }, tokenInput, el('button', { type: 'submit' }, 'Connect'));
  const retry = el('button', { type: 'button', id: 'sp-retry' }, 'Try again');
  const notice = el('section', { id: 'sp-notice', class: 'sp-notice', role: 'status', 'aria-live': 'polite' }, noticeText, tokenForm, retry);

  const viewerRoot = el('div', { id: 'sp-viewer', class: 'sp-viewer' });
  const errorList = el('ol', { id: 'sp-error-list', class: 'sp-error-list' });
  const errorsEmpty = el('p', { class: 'sp-muted sp-errors-empty' }, 'No errors recorded in this session. (The recorder reports them when started with captureErrors: true.)');
  const errorsPane = el('aside', { id: 'sp-errors', class: 'sp-errors', 'aria-label': 'Errors of this page\'s session' },
    el('h2', {}, 'Errors of this page\'s session'), errorsEmpty, errorList);
  const help = el('section', { id: 'sp-help', class: 'sp-help' });
  const main = el('div', { class: 'sp-main' }, viewerRoot, errorsPane);
  root.replaceChildren(bar, notice, help, main);

  let showErrors = false;
  let errorsSeen = 0;
  let renderedErrors: readonly PanelError[] | undefined;

  follow.addEventListener('click', () => controller.follow());
  sessions.addEventListener('click', () => controller.showSessions());
  tokens.addEventListener('click', () => options.openOptions());
  overlay.addEventListener('click', () => controller.toggleOverlay());
  retry.addEventListener('click', () => controller.retry());
  errorsToggle.addEventListener('click', () => {
    showErrors = !showErrors;
    render(controller.state);
  });
  tokenForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = tokenInput.value;
    tokenInput.value = '';
    void controller.submitToken(value);
  });

  const renderErrors = (errors: readonly PanelError[], canOpen: boolean) => {
    if (errors === renderedErrors) return;
    renderedErrors = errors;
    errorList.replaceChildren(...errors.map((e) => {
      const frames = el('ul', { class: 'sp-frames' }, ...e.frames.slice(0, 8).map((f) => {
        const text = frameLabels(f);
        const link = (label: string, title: string, running: boolean) => {
          const attrs = {
            class: running && f.original ? 'sp-frame sp-frame-running' : 'sp-frame', 'data-url': f.url, 'data-line': String(f.line),
            ...(f.original && !running ? { 'data-source': `${f.original.file}:${f.original.line}` } : {}),
          };
          const item = canOpen
            ? el('button', { type: 'button', title: `Open ${title} in the Sources panel`, ...attrs }, label)
            : el('span', { title, ...attrs }, label);
          if (canOpen) item.addEventListener('click', () => controller.openFrame(f, running));
          return item;
        };
        const main = link(text.main, text.mainTitle, !f.original);
        const running = text.running ? link(text.running, text.runningTitle!, true) : undefined;
        const fn = el('span', { class: 'sp-fn', title: f.fn ?? '' }, f.fn ?? '(anonymous)');
        return el('li', { class: f.inApp === false ? 'sp-frame-lib' : undefined }, main, ...(running ? [running] : []), fn);
      }));
      const replay = el('button', { type: 'button', class: 'sp-replay', title: 'Replay the moment it happened' }, 'Replay');
      replay.addEventListener('click', () => controller.replayError(e));
      return el('li', { class: 'sp-error', 'data-key': e.key },
        el('div', { class: 'sp-error-head' },
          el('time', { datetime: new Date(e.timestamp).toISOString(), class: 'sp-muted' }, new Date(e.timestamp).toLocaleTimeString()),
          el('strong', { class: 'sp-error-name' }, e.name), replay),
        el('div', { class: 'sp-error-message' }, e.message),
        frames);
    }));
  };

  let helpFor: PanelStatus | undefined;
  const renderHelp = (status: PanelStatus | undefined) => {
    const lines = status ? HELP[status] : undefined;
    help.hidden = !lines;
    if (status === helpFor) return;
    helpFor = status;
    help.replaceChildren(...(lines ?? []).map((line) => el('p', {}, ...line.map((part, i) => (i % 2 ? el('code', {}, part) : part)))));
  };

  const tick = () => {
    const s = controller.state.session;
    lastEvent.textContent = s?.lastReceivedAt ? `· last event ${ago(Date.now() - s.lastReceivedAt)}` : '';
  };

  function render(state: PanelState): void {
    document.body.dataset.theme = state.theme;
    document.title = panelTitle(state);
    root.dataset.status = state.status;
    const s = state.status === PanelStatus.CONNECTED || state.status === PanelStatus.UNREACHABLE ? state.session : undefined;
    sessionInfo.hidden = !s;
    if (s) {
      sessionId.textContent = s.id;
      live.hidden = !s.recording || state.status !== PanelStatus.CONNECTED;
      count.textContent = `${s.events} event${s.events === 1 ? '' : 's'}`;
      count.dataset.count = String(s.events);
    }
    tick();
    follow.hidden = state.following || !state.page?.recorder || state.status !== PanelStatus.CONNECTED;
    sessions.hidden = state.status !== PanelStatus.CONNECTED;
    overlay.hidden = state.status !== PanelStatus.CONNECTED && state.overlay === 'off';
    overlay.dataset.state = state.overlay;
    overlay.setAttribute('aria-pressed', String(state.overlay === 'on' || state.overlay === 'loading'));
    overlay.textContent = state.overlay === 'loading' ? 'Heatmap on page…' : state.overlay === 'failed' ? 'Heatmap on page (failed)' : 'Heatmap on page';
    overlay.title = state.overlayMessage ?? 'Draw the last 7 days\' clicks and rage, dead and error clicks over the inspected page';

    notice.hidden = !state.message;
    notice.dataset.status = state.status;
    noticeText.textContent = state.message;
    tokenForm.hidden = state.status !== PanelStatus.NEED_TOKEN;
    retry.hidden = state.status !== PanelStatus.UNREACHABLE && state.status !== PanelStatus.UNREADABLE;

    const n = state.errors.length;
    if (n > errorsSeen && !showErrors) showErrors = true;
    errorsSeen = n;
    errorsToggle.textContent = n ? `Errors (${n})` : 'Errors';
    errorsToggle.classList.toggle('sp-has-errors', n > 0);
    errorsToggle.setAttribute('aria-expanded', String(showErrors));
    errorsToggle.hidden = !state.session;
    errorsPane.hidden = !showErrors || !state.session;
    errorsEmpty.hidden = n > 0;
    renderErrors(state.errors, state.canOpenResource);
    main.hidden = !state.viewerMounted || state.status === PanelStatus.NEED_TOKEN;
    renderHelp(main.hidden ? state.status : undefined);
    if (state.status === PanelStatus.NEED_TOKEN && document.activeElement !== tokenInput) tokenInput.focus();
  }

  const off = controller.onState(render);
  const timer = setInterval(tick, 1000);
  render(controller.state);
  return {
    viewerRoot,
    dispose() {
      off();
      clearInterval(timer);
    },
  };
}
