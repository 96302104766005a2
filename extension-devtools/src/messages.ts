/**
 * The panel's typed messages with DevTools (the inspected page and the DevTools window),
 * carried by the same `MessageAdapter` interface as the viewer's host boundary.
 */
import type { MessageAdapter } from '@sentiero/viewer';
import type { InspectedPage } from './inspected.ts';
import type { OverlayData } from './overlay.ts';

/** DevTools' color theme, as the viewer names it. */
export type DevToolsTheme = 'light' | 'dark';

/** A reading of the inspected page (sent when it changes, and after every `refresh`). */
export interface PageMessage { t: 'page'; page: InspectedPage }
/** The inspected page could not be read (a `chrome:` or store page, a crashed tab). */
export interface PageUnreadableMessage { t: 'page-unreadable'; message: string }
/** The inspected tab navigated or reloaded (`devtools.network.onNavigated`). */
export interface NavigatedMessage { t: 'navigated'; url: string }
/** DevTools' theme, at the start and when it changes. */
export interface ThemeMessage { t: 'theme'; theme: DevToolsTheme }

/** Every message DevTools sends the panel. */
export type DevToolsToPanel = PageMessage | PageUnreadableMessage | NavigatedMessage | ThemeMessage;

/** Read the inspected page now. */
export interface RefreshMessage { t: 'refresh' }
/** A source location (line and column 1-based). */
export interface SourceLocation { url: string; line: number; column?: number }
/**
 * Open a source location in the Sources panel (lines and columns 1-based); when DevTools does
 * not know that URL, the `fallbacks` in order (an original source first, the running script last).
 */
export interface OpenResourceMessage extends SourceLocation { t: 'open-resource'; fallbacks?: SourceLocation[] }

/** Draw the analytics overlay over the inspected page (`null` removes it). */
export interface OverlayMessage { t: 'overlay'; data: OverlayData | null }

/** Every message the panel sends DevTools. */
export type PanelToDevTools = RefreshMessage | OpenResourceMessage | OverlayMessage;

/** The panel's side of its channel to DevTools. */
export type DevToolsAdapter = MessageAdapter<DevToolsToPanel, PanelToDevTools> & {
  /** Whether DevTools can open a source location (Chromium: `devtools.panels.openResource`). */
  readonly canOpenResource: boolean;
};
