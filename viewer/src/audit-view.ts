/** The dashboard's audit log page (admins): who read, watched, exported or erased what, when and from where, newest first. */
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** One entry as `GET <base>/api/audit` gives it. */
interface AuditRow {
  at: number;
  action: string;
  target: string;
  token: string;
  address: string;
}

/** What the audit page needs: the relay, the request token of the sign-in, and what to do when the relay refuses it. */
export interface AuditViewOptions {
  relayUrl: string;
  csrf: string;
  onUnauthorized(): void;
}

function AuditLog({ relayUrl, csrf, onUnauthorized }: AuditViewOptions) {
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);

  const load = async (before?: string) => {
    setLoading(true);
    try {
      const res = await fetch(`${relayUrl}/api/audit?limit=100${before ? `&before=${encodeURIComponent(before)}` : ''}`, { headers: { authorization: `Bearer ${csrf}` } });
      if (res.status === 401) return onUnauthorized();
      if (!res.ok) {
        setError(((await res.json().catch(() => ({}))) as { message?: string }).message ?? `the relay answered ${res.status}`);
        return;
      }
      const page = (await res.json()) as { entries: AuditRow[]; next?: string };
      setRows((old) => (before ? [...old, ...page.entries] : page.entries));
      setNext(page.next);
    } catch {
      setError('the relay cannot be reached');
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { void load(); }, []);

  return html`
    <div class="sd-audit">
      <header><a href="#/sessions">← Sessions</a><h1>Audit log</h1></header>
      ${error ? html`<p class="sd-login-error" role="alert">${error}</p>` : ''}
      <table>
        <thead><tr><th>When</th><th>Action</th><th>Target</th><th>Token</th><th>Address</th></tr></thead>
        <tbody>
          ${rows.map((r) => html`<tr class="sd-audit-row"><td>${new Date(r.at).toLocaleString()}</td><td>${r.action}</td><td>${r.target}</td><td>${r.token}</td><td>${r.address}</td></tr>`)}
        </tbody>
      </table>
      ${next ? html`<button type="button" disabled=${loading} onClick=${() => void load(next)}>Older entries</button>` : ''}
    </div>`;
}

/** Renders the audit log page into `root`. */
export function renderAudit(root: HTMLElement, options: AuditViewOptions): void {
  render(html`<${AuditLog} ...${options} />`, root);
}
