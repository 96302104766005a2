/**
 * The privacy controls of the viewer: the store's size against its quota (in the top bar),
 * erasing the open session (a button that asks first), and erasing a user's data (a form on
 * the session list that asks first and says what went). All go through the REST client.
 */
import { type ErasureReport, type StorageStatus, formatBytes } from '@sentiero/protocol';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { DEFAULT_FILTERS } from '../filters.ts';
import type { ViewerContext } from './context.ts';

/** What an erasure removed, in one line. */
export function describeErasure(r: ErasureReport): string {
  return `${r.sessions} session${r.sessions === 1 ? '' : 's'}, ${r.events} events, ${r.errorOccurrences} error occurrence${r.errorOccurrences === 1 ? '' : 's'} erased`;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The store's size against its quota; nothing when the relay does not say (an older relay, or no access). */
export function StorageFigure({ ctx }: { ctx: ViewerContext }) {
  const [status, setStatus] = useState<StorageStatus | undefined>();
  useEffect(() => {
    let cancelled = false;
    ctx.client.storage().then((s) => { if (!cancelled) setStatus(s); }, () => undefined);
    return () => { cancelled = true; };
  }, [ctx.generation]);
  if (!status) return '';
  return html`<span class="sv-storage" data-disk-bytes=${String(status.diskBytes)} title=${`Kept ${status.retentionDays} days; the oldest sessions go past ${formatBytes(status.maxDiskBytes)}`}>
    ${formatBytes(status.diskBytes)} of ${formatBytes(status.maxDiskBytes)} on disk</span>`;
}

/** Erases the open session after a second click that confirms, then goes back to the list. */
export function EraseSession({ ctx, sessionId }: { ctx: ViewerContext; sessionId: string }) {
  const [step, setStep] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [error, setError] = useState<string | undefined>();
  const erase = () => {
    setStep('busy');
    ctx.client.erase({ sessionId }).then(
      () => ctx.navigate({ view: 'list', filters: { ...DEFAULT_FILTERS } }),
      (err: unknown) => { setError(messageOf(err)); setStep('idle'); },
    );
  };
  if (step === 'idle') {
    return html`<button type="button" class="sv-btn is-danger" data-action="erase-session" onClick=${() => { setError(undefined); setStep('confirm'); }}
      title=${error ? `Could not erase: ${error}` : 'Erase this session and everything of it'}>${error ? 'Erase failed — retry' : 'Erase'}</button>`;
  }
  return html`<span class="sv-confirm" role="alertdialog" aria-label="Confirm erasure">
    <span>Erase this session, its events and its errors? This cannot be undone.</span>
    <button type="button" class="sv-btn is-danger" data-action="erase-confirm" disabled=${step === 'busy'} onClick=${erase}>${step === 'busy' ? 'Erasing…' : 'Erase for good'}</button>
    <button type="button" class="sv-btn" data-action="erase-cancel" disabled=${step === 'busy'} onClick=${() => setStep('idle')}>Cancel</button>
  </span>`;
}

/** A form that erases every session and error report of a user id, after a confirmation, and says what went. */
export function EraseUser({ ctx }: { ctx: ViewerContext }) {
  const [userId, setUserId] = useState('');
  const [step, setStep] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();
  const erase = () => {
    setStep('busy');
    ctx.client.erase({ userId: userId.trim() }).then(
      (r) => { setResult({ ok: true, text: `${describeErasure(r)} for ${userId.trim()}.` }); setStep('idle'); setUserId(''); ctx.navigate({ view: 'list', filters: { ...DEFAULT_FILTERS } }); },
      (err: unknown) => { setResult({ ok: false, text: `Could not erase: ${messageOf(err)}` }); setStep('idle'); },
    );
  };
  return html`<details class="sv-erase-user">
    <summary>Erase a user's data</summary>
    <form onSubmit=${(e: Event) => { e.preventDefault(); if (userId.trim()) setStep('confirm'); }}>
      <input class="sv-field" type="text" name="erase-user" placeholder="The user id the page identified" value=${userId} aria-label="User id to erase"
        onInput=${(e: Event) => { setUserId((e.target as HTMLInputElement).value); setStep('idle'); }} />
      ${step === 'idle'
        ? html`<button type="submit" class="sv-btn is-danger" data-action="erase-user" disabled=${!userId.trim()}>Erase…</button>`
        : html`<span class="sv-confirm" role="alertdialog" aria-label="Confirm erasure">
            <span>Erase every session of ${userId.trim()} and the errors reported about them? This cannot be undone.</span>
            <button type="button" class="sv-btn is-danger" data-action="erase-user-confirm" disabled=${step === 'busy'} onClick=${erase}>${step === 'busy' ? 'Erasing…' : 'Erase for good'}</button>
            <button type="button" class="sv-btn" disabled=${step === 'busy'} onClick=${() => setStep('idle')}>Cancel</button>
          </span>`}
    </form>
    ${result ? html`<p class=${`sv-banner ${result.ok ? '' : 'is-error'}`} role="status" data-erase-result>${result.text}</p>` : ''}
  </details>`;
}
