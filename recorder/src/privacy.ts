/**
 * The privacy rules of the recorder: what rrweb masks, blocks and ignores, Global Privacy
 * Control, and the visitor's opt-out. Masking happens in the page, before anything is
 * buffered or sent.
 */
import { StorageKey, type SafeStorage } from './storage.ts';

/** Selectors that are always honoured, on top of rrweb's classes `rr-mask`, `rr-block` and `rr-ignore`. */
export const PRIVACY_SELECTORS = {
  /** Text inside these elements is replaced by `*`. */
  mask: '[data-rr-mask]',
  /** These elements are recorded as empty boxes of the same size. */
  block: '[data-rr-block]',
  /** Input events on these elements are not recorded. */
  ignore: '[data-rr-ignore]',
} as const;

/** The privacy part of rrweb's record options. */
export interface PrivacyRecordOptions {
  maskAllInputs: boolean;
  maskInputOptions: { password: true };
  maskTextSelector: string;
  blockSelector: string;
  ignoreSelector: string;
}

/** What the privacy options resolve to. */
export interface PrivacySettings {
  maskAllInputs: boolean;
  maskTextSelector: string;
  blockSelector: string;
  ignoreSelector: string;
}

/** Adds an app's selector to one that is always honoured. */
export function withDefaultSelector(always: string, extra: string | undefined): string {
  return extra && extra.trim() ? `${always}, ${extra}` : always;
}

/**
 * rrweb's options for the privacy settings. Password fields are masked whatever
 * `maskAllInputs` says: rrweb masks all inputs (passwords included) when it is true and
 * exactly `maskInputOptions` when it is false, so the latter always names `password`.
 */
export function privacyRecordOptions(p: PrivacySettings): PrivacyRecordOptions {
  return {
    maskAllInputs: p.maskAllInputs,
    maskInputOptions: { password: true },
    maskTextSelector: p.maskTextSelector,
    blockSelector: p.blockSelector,
    ignoreSelector: p.ignoreSelector,
  };
}

/** Whether the browser sends the Global Privacy Control signal. */
export function globalPrivacyControl(): boolean {
  try {
    return (navigator as Navigator & { globalPrivacyControl?: unknown }).globalPrivacyControl === true;
  } catch {
    return false;
  }
}

/** Whether the visitor has opted out (remembered in localStorage). */
export function isOptedOut(local: SafeStorage): boolean {
  return local.get(StorageKey.OPT_OUT) === '1';
}

/** Remembers (or forgets) the visitor's opt-out; `false` when localStorage refused it. */
export function setOptedOut(local: SafeStorage, out: boolean): boolean {
  if (out) return local.set(StorageKey.OPT_OUT, '1');
  local.remove(StorageKey.OPT_OUT);
  return true;
}

/** Selectors of what the privacy settings hide, with rrweb's own classes: what the analytics features never describe. */
export interface PrivacyMatchers {
  /** Text inside these is masked: never used as a label. */
  mask: string;
  /** Recorded as empty boxes: never labelled, never tracked. */
  block: string;
  /** Input not recorded: never tracked. */
  ignore: string;
}

/** The full selectors of the privacy settings, rrweb's `rr-mask`, `rr-block` and `rr-ignore` classes included. */
export function privacyMatchers(p: PrivacySettings): PrivacyMatchers {
  return { mask: `${p.maskTextSelector}, .rr-mask`, block: `${p.blockSelector}, .rr-block`, ignore: `${p.ignoreSelector}, .rr-ignore` };
}
