/** Small fakes of the browser's side for unit tests: a storage area with its change event, a DevTools adapter, a viewer slot. */
import { type HostAdapter, type HostToViewer, type ViewerToHost, createMemoryChannel } from '@sentiero/viewer';
import type { ViewerSlot } from '../../src/controller.ts';
import type { DevToolsAdapter, DevToolsToPanel, PanelToDevTools } from '../../src/messages.ts';
import type { StorageAreaLike, StorageChangeLike, StorageChangedEvent } from '../../src/tokens.ts';

/** `storage.local` in memory, with `storage.onChanged`. */
export function memoryStorage(): { area: StorageAreaLike; changed: StorageChangedEvent; data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  const listeners = new Set<(changes: Record<string, StorageChangeLike>, area: string) => void>();
  const fire = (changes: Record<string, StorageChangeLike>) => queueMicrotask(() => { for (const fn of listeners) fn(changes, 'local'); });
  return {
    data,
    area: {
      async get(keys) {
        const wanted = keys === null || keys === undefined ? [...data.keys()] : typeof keys === 'string' ? [keys] : keys;
        const out: Record<string, unknown> = {};
        for (const k of wanted) if (data.has(k)) out[k] = data.get(k);
        return out;
      },
      async set(items) {
        const changes: Record<string, StorageChangeLike> = {};
        for (const [k, v] of Object.entries(items)) {
          changes[k] = { oldValue: data.get(k), newValue: v };
          data.set(k, v);
        }
        fire(changes);
      },
      async remove(keys) {
        const changes: Record<string, StorageChangeLike> = {};
        for (const k of typeof keys === 'string' ? [keys] : keys) {
          if (!data.has(k)) continue;
          changes[k] = { oldValue: data.get(k) };
          data.delete(k);
        }
        fire(changes);
      },
    },
    changed: {
      addListener: (fn) => { listeners.add(fn); },
      removeListener: (fn) => { listeners.delete(fn); },
    },
  };
}

/** A DevTools adapter the test drives: `emit` plays DevTools, `sent` is what the panel asked. */
export function fakeDevTools(canOpenResource = true): DevToolsAdapter & { emit(m: DevToolsToPanel): void; sent: PanelToDevTools[] } {
  const listeners = new Set<(m: DevToolsToPanel) => void>();
  const sent: PanelToDevTools[] = [];
  return {
    canOpenResource,
    sent,
    addListener(fn) {
      listeners.add(fn);
      return () => { listeners.delete(fn); };
    },
    postMessage(m) { sent.push(m); },
    emit(m) { for (const fn of [...listeners]) fn(m); },
  };
}

/** A viewer slot that records its mount and the messages the host sends; `viewer` plays the viewer's side. */
export function fakeViewer(): ViewerSlot & { mounts: Array<Parameters<ViewerSlot['mount']>[0]>; received: HostToViewer[]; say(m: ViewerToHost): void } {
  const channel = createMemoryChannel();
  const received: HostToViewer[] = [];
  channel.viewer.addListener((m) => received.push(m));
  const mounts: Array<Parameters<ViewerSlot['mount']>[0]> = [];
  const adapter: HostAdapter = channel.host;
  return {
    adapter,
    mounts,
    received,
    mount(o) { mounts.push(o); },
    say(m) { channel.viewer.postMessage(m); },
  };
}
