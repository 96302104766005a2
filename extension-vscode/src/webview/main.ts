/**
 * The replay webview's shell: asks the extension for the relay and token, mounts
 * `@sentiero/viewer` with a VS Code message adapter, and keeps the viewer's route in the
 * webview's saved state so that the panel comes back where it was after a reload.
 */
import { HostCapability, type ViewerAdapter, type ViewerHandle, createVsCodeAdapter, mountViewer } from '@sentiero/viewer';
import { type ExtensionToShell, type ShellToExtension, extensionMessageOf, replayPanelStateOf, toShellEnvelope } from './shell-protocol.ts';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const root = document.getElementById('sentiero-root')!;
const base = createVsCodeAdapter(api);
// The route is saved whichever side moves it: the viewer (the person navigates) or the extension.
const adapter: ViewerAdapter = {
  addListener: (fn) => base.addListener((message) => {
    if (message.t === 'navigate') api.setState({ route: message.route });
    fn(message);
  }),
  postMessage(message) {
    if (message.t === 'route') api.setState({ route: message.route });
    base.postMessage(message);
  },
};
let viewer: ViewerHandle | undefined;

function send(message: ShellToExtension): void {
  api.postMessage(toShellEnvelope(message));
}

function showStatus(text: string): void {
  root.replaceChildren();
  const p = document.createElement('p');
  p.className = 'sentiero-shell-status';
  p.id = 'sentiero-status';
  p.textContent = text;
  root.append(p);
}

function onShellMessage(m: ExtensionToShell): void {
  if (m.t === 'unavailable') {
    if (!viewer) showStatus(m.message);
    return;
  }
  if (viewer) {
    viewer.setConnection(m.relayUrl, m.token);
    api.setState({ route: m.route });
    viewer.navigate(m.route);
    viewer.setTheme(m.theme);
    return;
  }
  root.replaceChildren();
  api.setState({ route: m.route || replayPanelStateOf(api.getState())?.route || '#/sessions' });
  try {
    viewer = mountViewer(root, {
      relayUrl: m.relayUrl, token: m.token, route: m.route, theme: m.theme, adapter,
      capabilities: [HostCapability.OPEN_SOURCE, HostCapability.EXPORT],
      // VS Code has the bars already: the tab's title, and the connection in the status bar.
      showHeader: false,
    });
  } catch (err) {
    showStatus(`The viewer could not start: ${err instanceof Error ? err.message : String(err)}`);
  }
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m = extensionMessageOf(ev.data);
  if (m) onShellMessage(m);
});
send({ t: 'boot' });
