/**
 * The Sentiero panel's page: it wires the browser's APIs (through webextension-polyfill) to
 * the controller: DevTools through the DevTools adapter, the token store over
 * `storage.local`, the relay through the protocol client, and the viewer through its host
 * adapter (a memory channel, since the viewer is mounted in this same page).
 */
import browser from 'webextension-polyfill';
import { createClient } from '@sentiero/protocol';
import { copyText, createMemoryChannel, mountViewer } from '@sentiero/viewer';
import { createPanelController } from './controller.ts';
import { type DevToolsApi, createDevToolsAdapter } from './devtools-adapter.ts';
import { createPanelView } from './panel-view.ts';
import { createTokenStore } from './tokens.ts';
import './panel.css';


function openOptions(): void {
  const open = (browser.runtime as { openOptionsPage?: () => Promise<void> }).openOptionsPage;
  if (typeof open === 'function') open.call(browser.runtime).catch(() => window.open(browser.runtime.getURL('options.html')));
  else window.open(browser.runtime.getURL('options.html'));
}

const root = document.getElementById('app')!;
const channel = createMemoryChannel();
let viewerRoot: HTMLElement | undefined;
const controller = createPanelController({
  devtools: createDevToolsAdapter(browser.devtools as unknown as DevToolsApi),
  tokens: createTokenStore(browser.storage.local, browser.storage.onChanged),
  createClient: (baseUrl, token) => createClient({ baseUrl, token }),
  copyText,
  viewer: {
    adapter: channel.host,
    mount(o) {
      // The panel's bar stands in for the viewer's own ("All sessions", the page's session, LIVE).
      mountViewer(viewerRoot!, { relayUrl: o.relayUrl, token: o.token, route: o.route, theme: o.theme, capabilities: o.capabilities, adapter: channel.viewer, showHeader: false });
    },
  },
});
viewerRoot = createPanelView(root, controller, { openOptions }).viewerRoot;
