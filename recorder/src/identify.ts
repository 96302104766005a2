/**
 * `identify(userId, traits?)`, opt-in: the page names its user, written as
 * `sentiero/identify@1` `{ userId, traits? }`. The identity is kept in localStorage with the
 * session it belongs to, so every later page and tab of the same session writes it again at
 * its start; a new session starts unidentified, and `optOut()` forgets it.
 */
import { CustomTag, type RecordedEvent } from '@sentiero/protocol';
import { customEvent } from './features/custom-event.ts';
import { StorageKey, type SafeStorage } from './storage.ts';

/** Longest user id, and most characters of the serialized traits. */
export const IDENTIFY_LIMITS = { maxUserId: 200, maxTraitsChars: 4096 } as const;

/** The payload of `sentiero/identify@1`. */
export interface IdentifyPayload {
  userId: string;
  traits?: Record<string, unknown>;
}

/** The payload for `identify`'s arguments, or the reason they are refused. */
export function identifyPayload(userId: unknown, traits: unknown): { ok: true; value: IdentifyPayload } | { ok: false; message: string } {
  const id = typeof userId === 'number' && Number.isFinite(userId) ? String(userId) : userId;
  if (typeof id !== 'string' || !id.trim() || id.length > IDENTIFY_LIMITS.maxUserId) {
    return { ok: false, message: `identify: the user id must be a string of 1–${IDENTIFY_LIMITS.maxUserId} characters (or a number)` };
  }
  if (traits === undefined) return { ok: true, value: { userId: id } };
  if (typeof traits !== 'object' || traits === null || Array.isArray(traits)) return { ok: false, message: 'identify: traits must be a plain object' };
  let text: string;
  try {
    text = JSON.stringify(traits);
  } catch {
    return { ok: false, message: 'identify: traits cannot be serialized' };
  }
  if (text.length > IDENTIFY_LIMITS.maxTraitsChars) return { ok: false, message: `identify: traits are larger than ${IDENTIFY_LIMITS.maxTraitsChars} characters` };
  return { ok: true, value: { userId: id, traits: JSON.parse(text) as Record<string, unknown> } };
}

/** The `sentiero/identify@1` event. */
export function identifyEvent(payload: IdentifyPayload): RecordedEvent {
  return customEvent(CustomTag.IDENTIFY, payload);
}

/** Remembers the identity of `sessionId` for the session's later pages and tabs. */
export function saveIdentity(local: SafeStorage, sessionId: string, payload: IdentifyPayload): void {
  local.setJson(StorageKey.IDENTIFY, { sessionId, ...payload });
}

/** The remembered identity of `sessionId`, if the page identified its user in this session. */
export function loadIdentity(local: SafeStorage, sessionId: string): IdentifyPayload | undefined {
  const saved = local.getJson<IdentifyPayload & { sessionId: string }>(StorageKey.IDENTIFY);
  if (!saved || saved.sessionId !== sessionId) return undefined;
  const checked = identifyPayload(saved.userId, saved.traits);
  return checked.ok ? checked.value : undefined;
}

/** Forgets the remembered identity. */
export function forgetIdentity(local: SafeStorage): void {
  local.remove(StorageKey.IDENTIFY);
}
