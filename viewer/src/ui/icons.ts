/** The viewer's icons: small inline SVGs (no fonts, no external files). */
import { html } from 'htm/preact';
import type { VNode } from 'preact';

const svg = (d: string, size = 16): VNode => html`<svg class="sv-icon" width=${size} height=${size} viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d=${d} /></svg>`;

/** The icon set. */
export const Icon = {
  play: () => svg('M8 5.5v13a1 1 0 0 0 1.5.86l11-6.5a1 1 0 0 0 0-1.72l-11-6.5A1 1 0 0 0 8 5.5z', 18),
  pause: () => svg('M7 5h3.5v14H7zM13.5 5H17v14h-3.5z', 18),
  replay: () => svg('M12 5V2L7 6l5 4V7a5 5 0 1 1-5 5H5a7 7 0 1 0 7-7z', 18),
  fullscreen: () => svg('M4 4h6v2H6v4H4zm10 0h6v6h-2V6h-4zM4 14h2v4h4v2H4zm14 0h2v6h-6v-2h4z'),
  link: () => svg('M10.6 13.4a1 1 0 0 1 0-1.4l3.4-3.4a1 1 0 1 1 1.4 1.4L12 13.4a1 1 0 0 1-1.4 0zM8.2 19.1a4.5 4.5 0 0 1-3.3-7.7l2.4-2.4 1.4 1.4-2.4 2.4a2.5 2.5 0 0 0 3.5 3.5l2.4-2.4 1.4 1.4-2.4 2.4a4.5 4.5 0 0 1-3 1.4zm8.5-4.1-1.4-1.4 2.4-2.4a2.5 2.5 0 0 0-3.5-3.5l-2.4 2.4-1.4-1.4 2.4-2.4a4.5 4.5 0 0 1 6.3 6.3z'),
  back: () => svg('M15.4 5.4 14 4l-8 8 8 8 1.4-1.4L8.8 12z'),
  help: () => svg('M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 17h-2v-2h2zm2.1-7.8-.9.9c-.7.7-1.2 1.4-1.2 2.9h-2v-.5c0-1.1.4-2.1 1.2-2.8l1.2-1.3A2 2 0 1 0 10 9H8a4 4 0 1 1 7.1 2.2z'),
  skip: () => svg('M5 6v12l8.5-6zm8.5 0v12L22 12z'),
  search: () => svg('M10 4a6 6 0 1 0 3.7 10.7l4.8 4.8 1.4-1.4-4.8-4.8A6 6 0 0 0 10 4zm0 2a4 4 0 1 1 0 8 4 4 0 0 1 0-8z'),
  source: () => svg('M8.6 16.6 4 12l4.6-4.6L7.2 6 1.2 12l6 6zm6.8 0L20 12l-4.6-4.6L16.8 6l6 6-6 6z'),
  tab: () => svg('M3 5a2 2 0 0 1 2-2h5l2 3h7a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z'),
  download: () => svg('M11 4h2v8.2l3.1-3.1 1.4 1.4L12 16l-5.5-5.5 1.4-1.4 3.1 3.1zM5 18h14v2H5z'),
  check: () => svg('M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z'),
  logo: () => html`<svg class="sv-logo" width="22" height="22" viewBox="0 0 24 24" aria-hidden="true"><circle cx="5" cy="18" r="2.6" /><circle cx="12" cy="11" r="2.6" /><circle cx="19" cy="5" r="2.6" /><path d="M5 18 12 11 19 5" fill="none" stroke-width="2" stroke-dasharray="2 2.4" /></svg>`,
} as const;
