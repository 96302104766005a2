/** One session: header, tab switcher, the replay stage with live indicator, controls and timeline, and the activity sidebar. */
import { html } from 'htm/preact';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { isFailedRequest } from '../capture-log.ts';
import { DEFAULT_FILTERS } from '../filters.ts';
import { formatClock, formatDuration, formatLag, formatWhen, shortUrl } from '../format.ts';
import { HostCapability } from '../host.ts';
import { MarkerKind } from '../markers.ts';
import { deepLink } from '../route.ts';
import { SPEEDS, SessionController, type SessionSnapshot, type Speed } from '../session.ts';
import { describeClient } from '../ua.ts';
import { Activity } from './activity.ts';
import { ConsolePane } from './console-pane.ts';
import { downloadExport } from './download.ts';
import type { ViewerContext } from './context.ts';
import { Icon } from './icons.ts';
import { NetworkPane } from './network-pane.ts';
import { EraseSession } from './privacy.ts';
import { Timeline } from './timeline.ts';

/** The panes beside the replay. */
const SIDE_TABS = [['activity', 'Activity'], ['console', 'Console'], ['network', 'Network']] as const;

/** One of the side panes. */
type SideTab = (typeof SIDE_TABS)[number][0];

const SHORTCUTS: Array<[string, string]> = [
  ['Space', 'Play or pause'],
  ['← / →', 'Back or forward 5 seconds'],
  ['1 – 4', 'Speed 1×, 2×, 4×, 8×'],
  ['S', 'Skip idle stretches on or off'],
  ['L', 'Jump to live'],
  ['F', 'Fullscreen'],
  ['?', 'This help'],
];

const LEGEND = [
  [MarkerKind.CLICK, 'Click'], [MarkerKind.INPUT, 'Input'], [MarkerKind.NAVIGATION, 'Page'], [MarkerKind.ERROR, 'Error'], [MarkerKind.CUSTOM, 'Event'],
] as const;

/** A jump to a marker lands this much after it, so that what it did (a page's snapshot, a click's effect) is shown. */
const MARKER_LEAD_MS = 20;

/** Props of the session view. */
export interface SessionViewProps {
  ctx: ViewerContext;
  sessionId: string;
  t?: number;
  windowId?: string;
  /** Lets `mountViewer` reach the controller (tests, tooling). */
  onController?(c: SessionController | undefined): void;
}

function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  const tag = t.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable;
}

/**
 * The playback clock, "m:ss / m:ss". Its text is written on every time update, without a render,
 * so the span has no children of Preact's: a span of Preact's whose text was replaced under it
 * could be reused for another element with the old text still in it (the LIVE indicator once
 * showed the clock's text).
 */
function Clock({ start, end, onTime }: { start: number; end: number; onTime: (fn: (abs: number) => void) => () => void }) {
  const el = useRef<HTMLSpanElement>(null);
  useLayoutEffect(() => onTime((abs) => {
    if (el.current) el.current.textContent = `${formatClock(Math.max(0, abs - start))} / ${formatClock(end - start)}`;
  }), [start, end, onTime]);
  return html`<span class="sv-clock" ref=${el}></span>`;
}

/** The session view. */
export function SessionView({ ctx, sessionId, t, windowId, onController }: SessionViewProps) {
  const [controller, setController] = useState<SessionController>();
  const [snap, setSnap] = useState<SessionSnapshot>();
  const [help, setHelp] = useState(false);
  const [side, setSide] = useState<SideTab>('activity');
  const [copied, setCopied] = useState<string>();
  const [exporting, setExporting] = useState(false);
  const stage = useRef<HTMLDivElement>(null);
  const player = useRef<HTMLDivElement>(null);
  const root = useRef<HTMLElement>(null);

  // A layout effect, not an effect: loading starts as soon as the view is in the DOM, not after its first paint.
  useLayoutEffect(() => {
    const opts = { client: ctx.client, watch: () => ctx.watch(), sessionId, assets: () => ctx.assets(sessionId), onFailure: (k: 'auth' | 'unreachable', m: string) => ctx.reportFailure(k, m) };
    const c = new SessionController({ ...opts, ...(t !== undefined ? { t } : {}), ...(windowId ? { windowId } : {}) });
    setController(c);
    setSnap(c.snapshot);
    onController?.(c);
    const off = c.subscribe(setSnap);
    if (stage.current) c.attach(stage.current);
    const offTime = c.onTime((abs) => {
      root.current?.setAttribute('data-time', String(Math.round(Math.max(0, abs - c.snapshot.start))));
    });
    return () => {
      off();
      offTime();
      c.destroy();
      onController?.(undefined);
    };
  }, [ctx.generation, sessionId, t, windowId]);

  // A list mounted while playback is paused (a pane opened from its tab) learns the position at once, not on the next change.
  const onTime = useCallback((fn: (abs: number) => void) => {
    if (!controller) return () => undefined;
    const off = controller.onTime(fn);
    fn(controller.currentAbs());
    return off;
  }, [controller]);

  const fullscreen = useCallback(() => {
    const el = player.current;
    if (!el) return;
    if (document.fullscreenElement) void document.exitFullscreen();
    else void el.requestFullscreen?.().catch(() => undefined);
  }, []);

  useEffect(() => {
    if (!controller) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e)) return;
      const s = controller.snapshot;
      let handled = true;
      switch (e.key) {
        case ' ': controller.toggle(); break;
        case 'ArrowLeft': controller.seekBy(-5000); break;
        case 'ArrowRight': controller.seekBy(5000); break;
        case '1': case '2': case '3': case '4': controller.setSpeed(SPEEDS[Number(e.key) - 1]!); break;
        case 's': case 'S': controller.setSkipInactive(!s.skipInactive); break;
        case 'l': case 'L': controller.jumpToLive(); break;
        case 'f': case 'F': fullscreen(); break;
        case '?': setHelp((h) => !h); break;
        case 'Escape': setHelp(false); handled = false; break;
        default: handled = false;
      }
      if (handled) e.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    const onFs = () => controller.fit();
    document.addEventListener('fullscreenchange', onFs);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('fullscreenchange', onFs);
    };
  }, [controller, fullscreen]);

  const copyLink = async () => {
    if (!controller || !snap) return;
    const rel = Math.max(0, Math.round(controller.currentAbs() - snap.start));
    const link = deepLink(ctx.linkBase, sessionId, rel, snap.windows.length > 1 ? snap.windowId : undefined);
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      ctx.post({ t: 'copy', text: link });
    }
    setCopied(link);
    setTimeout(() => setCopied(undefined), 2500);
  };

  const download = async () => {
    if (ctx.capabilities.has(HostCapability.EXPORT)) {
      ctx.post({ t: 'export', sessionId });
      return;
    }
    setExporting(true);
    try {
      await downloadExport(ctx.client, sessionId);
    } catch (err) {
      ctx.reportFailure((err as { status?: number }).status === 401 ? 'auth' : 'unreachable', (err as Error).message);
    } finally {
      setExporting(false);
    }
  };

  const s = snap;
  const summary = s?.summary;
  const shownConsole = useMemo(() => (s ? s.console.filter((e) => e.windowId === s.windowId) : []), [s?.console, s?.windowId]);
  const shownNetwork = useMemo(() => (s ? s.network.filter((e) => e.windowId === s.windowId) : []), [s?.network, s?.windowId]);
  const consoleErrors = shownConsole.filter((e) => e.level === 'error' || e.level === 'assert').length;
  const failedRequests = shownNetwork.filter(isFailedRequest).length;
  const seekTo = useCallback((abs: number) => controller?.seek(abs + MARKER_LEAD_MS), [controller]);
  const client = summary ? describeClient(summary.userAgent || '') : undefined;
  const win = s?.windows.find((w) => w.id === s.windowId);
  const live = s?.mode === 'live';
  const behind = s?.mode === 'behind-live';
  // What the replay shown is on its way to, if anything.
  const going = !s?.hasFrame ? undefined
    : s.recording && s.loading ? 'Catching up with the session…'
    : s.seeking ? (s.seekingTo === undefined ? 'Going to the moment…' : `Going to ${formatClock(Math.max(0, s.seekingTo - s.start))}…`)
    : s.waiting ? (s.recording ? 'Waiting for the page to change…' : 'Loading the rest of the session…')
    : undefined;

  return html`
    <section class="sv-session" ref=${root} data-session-id=${sessionId} data-mode=${s?.mode ?? 'replay'} data-state=${s?.playing ? 'playing' : s?.ended ? 'ended' : 'paused'}
      data-window=${s?.windowId ?? ''} data-speed=${String(s?.speed ?? 1)} data-skip=${String(s?.skipInactive ?? true)} data-recording=${String(!!s?.recording)}
      data-lag=${s?.lag ? String(Math.round(s.lag.p50)) : ''} data-frame=${String(!!s?.hasFrame)} data-seeking=${String(!!s?.seeking)} data-loading=${String(s?.loading ?? true)} data-waiting=${String(!!s?.waiting)}>
      <header class="sv-session-head">
        ${ctx.standalone ? '' : html`<button type="button" class="sv-back" onClick=${() => ctx.navigate({ view: 'list', filters: { ...DEFAULT_FILTERS } })}>${Icon.back()} Sessions</button>`}
        <div class="sv-title">
          <h1 class="sv-h1" title=${summary?.url ?? ''}>${s?.title || (summary ? shortUrl(summary.url) || '(no URL)' : 'Session')}</h1>
          ${summary ? html`
            <div class="sv-meta">
              <span class="sv-meta-url">${summary.url}</span>
              ${s?.recording ? html`<span class="sv-badge is-live"><i></i>Live</span>` : html`<span>${formatWhen(summary.startedAt, Date.now())}</span>`}
              <span>${formatDuration((s?.end ?? summary.lastEventAt) - summary.startedAt)}</span>
              <span>${summary.pages?.length || 1} page${(summary.pages?.length || 1) === 1 ? '' : 's'}</span>
              ${client ? html`<span>${client.browser} · ${client.os} · ${client.device}</span>` : ''}
              ${summary.viewport ? html`<span>${summary.viewport.width}×${summary.viewport.height}</span>` : ''}
              ${summary.errorCount ? html`<span class="sv-badge is-error">${summary.errorCount} error${summary.errorCount === 1 ? '' : 's'}</span>` : ''}
            </div>` : ''}
        </div>
        <div class="sv-actions">
          ${ctx.standalone ? '' : html`<button type="button" class="sv-btn" onClick=${download} disabled=${exporting || !s || s.status !== 'ready'} data-action="download" title="Download this replay as one HTML file that plays offline">${Icon.download()} <span class="sv-copy-text">${exporting ? 'Preparing…' : 'Download replay'}</span></button>`}
          ${ctx.standalone ? '' : html`<button type="button" class="sv-btn" onClick=${copyLink} disabled=${!s?.hasFrame} data-action="copy-link" title="Copy link at this moment">${copied ? Icon.check() : Icon.link()} <span class="sv-copy-text">${copied ? 'Link copied' : 'Copy link at this moment'}</span></button>`}
          <button type="button" class="sv-icon-btn" onClick=${() => setHelp(true)} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">${Icon.help()}</button>
          <${EraseSession} ctx=${ctx} sessionId=${sessionId} />
        </div>
      </header>
      ${copied ? html`<output class="sv-copied" data-link=${copied}>${copied}</output>` : ''}
      ${s && s.windows.length > 1 ? html`
        <nav class="sv-tabs" aria-label="Tabs of this visit">
          ${s.windows.map((w) => html`
            <button type="button" class=${`sv-tab ${w.id === s.windowId ? 'is-on' : ''}`} aria-pressed=${w.id === s.windowId} data-window=${w.id}
              onClick=${() => controller?.selectWindow(w.id)} title=${w.url}>
              ${Icon.tab()} Tab ${w.index} <span class="sv-muted">${shortUrl(w.url)}</span>
            </button>`)}
        </nav>` : ''}
      <div class="sv-body">
        <div class="sv-player" ref=${player}>
          <div class="sv-stage">
            <div class="sv-replay" ref=${stage}></div>
            ${!s || (!s.hasFrame && (s.status === 'loading' || s.status === 'ready')) ? html`
              <div class="sv-overlay"><span class="sv-spinner"></span><span>${s?.recording ? 'Catching up with the session…' : 'Loading the replay…'}</span></div>` : ''}
            ${s?.status === 'not-found' ? html`<div class="sv-overlay is-msg"><strong>Session not found</strong><span>It may have been deleted.</span></div>` : ''}
            ${s?.status === 'error' ? html`<div class="sv-overlay is-msg"><strong>Could not load this session</strong><span>${s.error}</span></div>` : ''}
            ${s?.skipping ? html`<div class="sv-skipping">${Icon.skip()} Skipping idle time</div>` : ''}
            ${going ? html`<div class="sv-going" role="status"><span class="sv-spinner"></span>${going}</div>` : ''}
          </div>
          ${s ? html`
            <div class="sv-controls">
              <${Timeline} start=${s.start} end=${s.end} markers=${s.markers} windowId=${s.windowId} window=${win} inactive=${s.inactive}
                loadedUntil=${s.loadedUntil} loading=${s.loading && !s.recording} live=${live} onSeek=${(abs: number) => controller?.seek(abs)} onTime=${onTime} />
              <div class="sv-bar">
                ${live ? html`<span class="sv-live-pill" data-live="on" title=${s.lag ? `Following the session as it happens. Lag from the page to this view over the last ${s.lag.count} events: median ${formatLag(s.lag.p50)}, p99 ${formatLag(s.lag.p99)}.` : 'Following the session as it happens'}><i></i>LIVE${s.lag ? html`<span class="sv-lag">lag ${formatLag(s.lag.p50)}</span>` : ''}</span>` : html`
                <button type="button" class="sv-play" onClick=${() => controller?.toggle()} disabled=${!s.hasFrame} aria-label=${s.playing ? 'Pause' : 'Play'} title=${s.playing ? 'Pause (space)' : 'Play (space)'} data-action="play">
                  ${s.playing ? Icon.pause() : s.ended ? Icon.replay() : Icon.play()}
                </button>`}
                ${behind ? html`<button type="button" class="sv-jump" data-action="jump-to-live" onClick=${() => controller?.jumpToLive()}><i></i>Jump to live</button>` : ''}
                <${Clock} start=${s.start} end=${s.end} onTime=${onTime} />
                <div class="sv-legend" aria-hidden="true">${LEGEND.map(([k, label]) => html`<span><i class=${`sv-dot k-${k}`}></i>${label}</span>`)}</div>
                <div class="sv-speeds" role="group" aria-label="Speed">
                  ${SPEEDS.map((sp: Speed) => html`<button type="button" class=${`sv-speed ${s.speed === sp ? 'is-on' : ''}`} aria-pressed=${s.speed === sp} data-speed=${String(sp)} disabled=${live} onClick=${() => controller?.setSpeed(sp)}>${sp}×</button>`)}
                </div>
                <label class=${`sv-toggle ${s.skipInactive ? 'is-on' : ''}`} title="Skip idle stretches (S)">
                  <input type="checkbox" name="skip" checked=${s.skipInactive} disabled=${live} onChange=${(e: Event) => controller?.setSkipInactive((e.target as HTMLInputElement).checked)} />
                  <span class="sv-switch" aria-hidden="true"></span> Skip idle
                </label>
                <button type="button" class="sv-icon-btn" onClick=${fullscreen} aria-label="Fullscreen" title="Fullscreen (F)">${Icon.fullscreen()}</button>
              </div>
            </div>` : ''}
        </div>
        ${s ? html`
          <div class="sv-side" data-side=${side}>
            <nav class="sv-side-tabs" role="tablist" aria-label="Beside the replay">
              ${SIDE_TABS.map(([key, label]) => {
                const n = key === 'console' ? shownConsole.length : key === 'network' ? shownNetwork.length : s.markers.length;
                const bad = key === 'console' ? consoleErrors : key === 'network' ? failedRequests : 0;
                return html`<button type="button" role="tab" class=${`sv-side-tab ${side === key ? 'is-on' : ''}`} aria-selected=${side === key} data-side-tab=${key} onClick=${() => setSide(key)}>
                  ${label} <span class="sv-count">${n}</span>${bad ? html`<span class="sv-side-bad" title=${`${bad} ${key === 'console' ? 'console errors' : 'failed requests'}`}>${bad}</span>` : ''}
                </button>`;
              })}
            </nav>
            ${side === 'console' ? html`<${ConsolePane} entries=${shownConsole} start=${s.start} onSeek=${seekTo} onTime=${onTime} />`
              : side === 'network' ? html`<${NetworkPane} entries=${shownNetwork} markers=${s.markers} start=${s.start} pageUrl=${win?.url || summary?.url || ''} onSeek=${seekTo} onTime=${onTime}
                  onOpenGroup=${(groupId: string) => ctx.navigate({ view: 'error', groupId })} />`
              : html`<${Activity} markers=${s.markers} start=${s.start} windows=${s.windows}
          canOpenSource=${ctx.capabilities.has(HostCapability.OPEN_SOURCE)}
          onSeek=${(m: { timestamp: number; windowId: string }) => (m.windowId && m.windowId !== s.windowId ? controller?.selectWindow(m.windowId, m.timestamp + MARKER_LEAD_MS) : controller?.seek(m.timestamp + MARKER_LEAD_MS))}
          onOpenGroup=${ctx.standalone ? undefined : (groupId: string) => ctx.navigate({ view: 'error', groupId })}
          onOpenSource=${(f: { url: string; line: number; column?: number; fn?: string }) => ctx.post({ t: 'open-source', url: f.url, line: f.line, ...(f.column ? { column: f.column } : {}), ...(f.fn ? { fn: f.fn } : {}) })}
          onTime=${onTime} />`}
          </div>` : ''}
      </div>
      ${help ? html`
        <div class="sv-modal" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick=${(e: Event) => { if (e.target === e.currentTarget) setHelp(false); }}>
          <div class="sv-modal-box">
            <h2 class="sv-h2">Keyboard shortcuts</h2>
            <dl class="sv-keys">${SHORTCUTS.map(([k, d]) => html`<dt><kbd>${k}</kbd></dt><dd>${d}</dd>`)}</dl>
            <button type="button" class="sv-btn" onClick=${() => setHelp(false)}>Close</button>
          </div>
        </div>` : ''}
    </section>`;
}
