/**
 * The relay's dashboard (`<base>/`): one host of the viewer. It signs in by posting a token to
 * `<base>/api/login` (typed in, or taken once from a `#token=` link and removed from the
 * address bar at once), which answers with an HttpOnly session cookie and a request token;
 * no token is ever kept in the page's storage. It keeps the route in `location.hash`, mounts
 * the viewer with a same-page message channel, and shows admins the audit log (`#/audit`).
 */
import { html } from 'htm/preact';
import { render } from 'preact';
import { renderAudit } from './audit-view.ts';
import { HostCapability, type ViewerHandle, copyText, createMemoryChannel, mountViewer } from './index.ts';
import { Icon } from './ui/icons.ts';

/** The cookie the relay sets beside its HttpOnly session cookie: the session's request token, readable only by pages under the base path. */
const REQUEST_TOKEN_COOKIE = 'sentiero_csrf';
const AUDIT_ROUTE = '#/audit';
const app = document.getElementById('app')!;
const relayUrl = `${location.origin}${app.dataset.base ?? '/sentiero'}`;
let viewer: ViewerHandle | undefined;

/** Who is signed in: the request token (sent as the bearer; worth nothing without the cookie) and the role. */
interface SignedIn {
  csrf: string;
  name: string;
  role: 'viewer' | 'admin';
}
let signedIn: SignedIn | undefined;

/** The request token of the sign-in this browser holds, if any. */
function requestToken(): string | undefined {
  const m = new RegExp(`(?:^|;\\s*)${REQUEST_TOKEN_COOKIE}=([^;]+)`).exec(document.cookie);
  return m?.[1];
}

/** Exchanges a token for the session cookie; the sign-in, or the relay's refusal as text. */
async function login(token: string): Promise<SignedIn | string> {
  try {
    const res = await fetch(`${relayUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    if (!res.ok) return res.status === 401 ? 'The relay did not accept that token. Enter a token it knows.' : `The relay refused the sign-in (${res.status}).`;
    return (await res.json()) as SignedIn;
  } catch {
    return 'The relay cannot be reached.';
  }
}

/** The sign-in the cookies already hold, checked with the relay. */
async function resume(): Promise<SignedIn | undefined> {
  const csrf = requestToken();
  if (!csrf) return undefined;
  try {
    const res = await fetch(`${relayUrl}/api/me`, { headers: { authorization: `Bearer ${csrf}` } });
    if (!res.ok) return undefined;
    const me = (await res.json()) as { name: string; role: SignedIn['role'] };
    return { csrf, name: me.name, role: me.role };
  } catch {
    return undefined;
  }
}

async function logout(): Promise<void> {
  const csrf = signedIn?.csrf ?? requestToken();
  signedIn = undefined;
  if (csrf) await fetch(`${relayUrl}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${csrf}` } }).catch(() => undefined);
}

/** A `#token=…` link (printed by `npm start`): the token, taken out of the address bar (and history) before anything else runs. */
function takeTokenFromHash(): string | undefined {
  const m = /(?:^#|[&?])token=([^&]+)/.exec(location.hash);
  if (!m) return undefined;
  const rest = location.hash.replace(/[#&?]?token=[^&]+/, '').replace(/^&/, '');
  history.replaceState(null, '', `${location.pathname}${location.search}${rest.startsWith('#/') ? rest : '#/sessions'}`);
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}


function showLogin(message?: string): void {
  viewer?.destroy();
  viewer = undefined;
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const input = form.elements.namedItem('token') as HTMLInputElement;
    const token = input.value.trim();
    input.value = '';
    if (!token) return;
    const result = await login(token);
    if (typeof result === 'string') showLogin(result);
    else open(result);
  };
  render(html`
    <div class="sd-login-wrap">
      <form class="sd-login" onSubmit=${submit}>
        <div class="sd-login-brand">${Icon.logo()}<span>Sentiero</span></div>
        <h1>Open the dashboard</h1>
        <p class=${message ? 'sd-login-error' : 'sd-login-hint'} role=${message ? 'alert' : undefined}>${message ?? 'Enter a token: the one the relay printed when it started (or set with SENTIERO_TOKEN), or one an admin gave you.'}</p>
        <label for="sd-token">Token</label>
        <input id="sd-token" type="password" name="token" autocomplete="off" spellcheck=${false} placeholder="Paste the token" required autofocus />
        <button type="submit">Open sessions</button>
        <p class="sd-login-foot">The token is sent once to sign in and is not kept in this page. Recorded pages are replayed in a sandbox and never run scripts here.</p>
      </form>
    </div>`, app);
  app.querySelector<HTMLInputElement>('#sd-token')?.focus();
}

/** Shows what the route asks for: the audit log (admins) or the viewer. */
function open(who: SignedIn): void {
  signedIn = who;
  if (location.hash === AUDIT_ROUTE && who.role === 'admin') showAudit(who);
  else start(who);
}

function showAudit(who: SignedIn): void {
  viewer?.destroy();
  viewer = undefined;
  render(null, app);
  renderAudit(app, { relayUrl, csrf: who.csrf, onUnauthorized: () => showLogin('The sign-in has ended. Sign in again.') });
}

function start(who: SignedIn): void {
  render(null, app);
  const channel = createMemoryChannel();
  viewer = mountViewer(app, {
    relayUrl,
    // The request token goes where a bearer token would: the relay takes it only together with the session cookie.
    token: who.csrf,
    adapter: channel.viewer,
    route: location.hash || '#/sessions',
    capabilities: who.role === 'admin' ? [HostCapability.SIGN_OUT, HostCapability.AUDIT_LOG] : [HostCapability.SIGN_OUT],
  });
  channel.host.addListener((m) => {
    switch (m.t) {
      case 'route':
        if (location.hash !== m.route) history.pushState(null, '', m.route);
        break;
      case 'auth-failed':
        signedIn = undefined;
        showLogin('The sign-in has ended or the relay refused it. Sign in again.');
        break;
      case 'sign-out':
        void logout().then(() => showLogin());
        break;
      case 'copy':
        copyText(m.text);
        break;
      default:
        break;
    }
  });
}

/** Follows a route change: a new `#token=` link signs in again; the audit route swaps the viewer out and back. */
async function follow(): Promise<void> {
  const token = takeTokenFromHash();
  if (token) {
    const result = await login(token);
    if (typeof result === 'string') showLogin(result);
    else open(result);
    return;
  }
  if (!signedIn) return;
  if (location.hash === AUDIT_ROUTE || !viewer) open(signedIn);
  else viewer.navigate(location.hash);
}

window.addEventListener('hashchange', () => void follow());
window.addEventListener('popstate', () => void follow());

void (async () => {
  const token = takeTokenFromHash();
  const result = token ? await login(token) : await resume();
  if (result === undefined) showLogin();
  else if (typeof result === 'string') showLogin(result);
  else open(result);
})();
