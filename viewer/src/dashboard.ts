/**
 * The relay's dashboard (`<base>/`): one host of the viewer. It asks for the viewer token
 * (kept in `localStorage`, or taken once from a `#token=` link), keeps the route in
 * `location.hash`, and mounts the viewer with a same-page message channel.
 */
import { html } from 'htm/preact';
import { render } from 'preact';
import { HostCapability, type ViewerHandle, copyText, createMemoryChannel, mountViewer } from './index.ts';
import { Icon } from './ui/icons.ts';

const TOKEN_KEY = 'sentiero:token';
const app = document.getElementById('app')!;
const relayUrl = `${location.origin}${app.dataset.base ?? '/sentiero'}`;
let viewer: ViewerHandle | undefined;

function readToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function writeToken(token: string | null): void {
  try {
    if (token === null) localStorage.removeItem(TOKEN_KEY);
    else localStorage.setItem(TOKEN_KEY, token);
  } catch { /* storage blocked: the token lives for this page only */ }
}

/** A `#token=…` link (printed by `npm start`) stores the token and leaves the rest of the route. */
function takeTokenFromHash(): string | undefined {
  const m = /(?:^#|[&?])token=([^&]+)/.exec(location.hash);
  if (!m) return undefined;
  const token = decodeURIComponent(m[1]!);
  writeToken(token);
  const rest = location.hash.replace(/[#&?]?token=[^&]+/, '').replace(/^&/, '');
  history.replaceState(null, '', `${location.pathname}${location.search}${rest.startsWith('#/') ? rest : '#/sessions'}`);
  return token;
}


function showLogin(message?: string): void {
  viewer?.destroy();
  viewer = undefined;
  const submit = (e: Event) => {
    e.preventDefault();
    const input = (e.currentTarget as HTMLFormElement).elements.namedItem('token') as HTMLInputElement;
    const token = input.value.trim();
    if (!token) return;
    writeToken(token);
    start(token);
  };
  render(html`
    <div class="sd-login-wrap">
      <form class="sd-login" onSubmit=${submit}>
        <div class="sd-login-brand">${Icon.logo()}<span>Sentiero</span></div>
        <h1>Open the dashboard</h1>
        <p class=${message ? 'sd-login-error' : 'sd-login-hint'} role=${message ? 'alert' : undefined}>${message ?? 'Enter the viewer token that the relay printed when it started (or set with SENTIERO_TOKEN).'}</p>
        <label for="sd-token">Viewer token</label>
        <input id="sd-token" type="password" name="token" autocomplete="off" spellcheck=${false} placeholder="Paste the token" required autofocus />
        <button type="submit">Open sessions</button>
        <p class="sd-login-foot">The token stays in this browser. Recorded pages are replayed in a sandbox and never run scripts here.</p>
      </form>
    </div>`, app);
  app.querySelector<HTMLInputElement>('#sd-token')?.focus();
}

function start(token: string): void {
  render(null, app);
  const channel = createMemoryChannel();
  viewer = mountViewer(app, {
    relayUrl,
    token,
    adapter: channel.viewer,
    route: location.hash || '#/sessions',
    capabilities: [HostCapability.SIGN_OUT],
  });
  channel.host.addListener((m) => {
    switch (m.t) {
      case 'route':
        if (location.hash !== m.route) history.pushState(null, '', m.route);
        break;
      case 'auth-failed':
        writeToken(null);
        showLogin('The relay did not accept that token. Enter the viewer token it printed.');
        break;
      case 'sign-out':
        writeToken(null);
        showLogin();
        break;
      case 'copy':
        copyText(m.text);
        break;
      default:
        break;
    }
  });
}

window.addEventListener('hashchange', () => {
  if (takeTokenFromHash()) {
    const token = readToken();
    if (token) start(token);
    return;
  }
  viewer?.navigate(location.hash);
});
window.addEventListener('popstate', () => viewer?.navigate(location.hash));

takeTokenFromHash();
const stored = readToken();
if (stored) start(stored);
else showLogin();
