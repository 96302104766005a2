/**
 * What rrweb does not replay into a sandbox that runs no scripts, done from the viewer's own
 * page instead (the replayed document is same-origin, so its canvases and elements can be
 * reached from outside): sampled `<canvas>` frames (the recorder's `recordCanvas`), the open
 * state of popovers (`sentiero/popover@1`), modal dialogs closed while playing, and a new layout
 * once `FontFace` fonts load.
 * rrweb's own canvas replay (`UNSAFE_replayCanvas`) would give the replay iframe
 * `allow-scripts`; this never does. See docs/fidelity.md.
 */
import type { eventWithTime, serializedNodeWithId } from '@rrweb/types';
import type { Replayer } from '@rrweb/replay';
import { CustomTag, EventType } from '@sentiero/protocol';

/** rrweb's replay plugin shape (`playerConfig.plugins`). */
export interface ReplayPlugin {
  handler?(event: eventWithTime, isSync: boolean, context: { replayer: Replayer }): void;
  onBuild?(node: unknown, context: { id: number; replayer: Replayer }): void;
}

/** One drawing call of a canvas mutation: `{ property, args }`. */
interface CanvasCommand {
  property: string;
  args: unknown[];
}

const ELEMENT = 2;
const MUTATION = 0;
const CANVAS_MUTATION = 9;
const FONT = 10;

/** The attribute of the image the plugin puts inside a replayed canvas (tools that compare DOMs skip it). */
export const CANVAS_IMAGE_ATTR = 'data-sentiero-canvas';

/**
 * Styles added to the replayed document. A document without scripts renders a `<canvas>` as its
 * fallback content (its children), so the plugin gives each canvas one child, an image of its
 * last frame, and these rules size the canvas like the replaced element it was: an inline-block
 * (unless the page's own CSS says otherwise) as wide and high as the image, whose intrinsic size
 * is the canvas's bitmap size; the page's own fallback content is hidden.
 */
export const CANVAS_REPLAY_RULES = [
  ':where(canvas) { display: inline-block; }',
  `canvas > :not(img[${CANVAS_IMAGE_ATTR}]) { display: none !important; }`,
  `img[${CANVAS_IMAGE_ATTR}] { display: block !important; width: 100% !important; height: 100% !important; margin: 0 !important; border: 0 !important; padding: 0 !important; }`,
];

/** The canvas snapshot images (`rr_dataURL`) of the nodes an event adds: node id → data URL. */
function snapshotImages(e: eventWithTime): Array<[number, string]> {
  const d = e.data as { node?: serializedNodeWithId; source?: number; adds?: Array<{ node?: serializedNodeWithId }> };
  const roots = e.type === EventType.FullSnapshot && d.node ? [d.node]
    : e.type === EventType.IncrementalSnapshot && d.source === MUTATION ? (d.adds ?? []).flatMap((a) => (a?.node ? [a.node] : [])) : [];
  const out: Array<[number, string]> = [];
  const walk = (n: serializedNodeWithId) => {
    if (n.type === ELEMENT) {
      const url = n.attributes.rr_dataURL;
      if (n.tagName === 'canvas' && typeof url === 'string' && url.startsWith('data:image/')) out.push([n.id, url]);
    }
    if ('childNodes' in n) for (const child of n.childNodes) walk(child);
  };
  for (const root of roots) walk(root);
  return out;
}

/**
 * The image of a sampled frame, as a data URL: the recorder's frames are a `clearRect` of the
 * whole canvas and a `drawImage` at 0,0 of an `ImageBitmap` of a `Blob` of base64 bytes.
 * Anything else (rrweb's command-by-command recording) is not a whole frame: `undefined`.
 */
function frameImage(commands: CanvasCommand[]): string | undefined {
  const draw = commands.find((c) => c?.property === 'drawImage');
  if (!draw || !commands.every((c) => c?.property === 'drawImage' || c?.property === 'clearRect')) return undefined;
  const [bitmap, x, y] = draw.args as [{ rr_type?: string; args?: Array<{ rr_type?: string; type?: unknown; data?: Array<{ rr_type?: string; base64?: unknown }> }> }, unknown, unknown];
  const blob = bitmap?.rr_type === 'ImageBitmap' ? bitmap.args?.[0] : undefined;
  const buffer = blob?.rr_type === 'Blob' ? blob.data?.[0] : undefined;
  if (x !== 0 || y !== 0 || buffer?.rr_type !== 'ArrayBuffer' || typeof buffer.base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(buffer.base64)) return undefined;
  const type = typeof blob!.type === 'string' && /^image\/[a-z0-9.+-]+$/.test(blob!.type) ? blob!.type : 'image/png';
  return `data:${type};base64,${buffer.base64}`;
}

/** The image inside a replayed canvas, made on first use; an empty image of the canvas's size until a frame comes. */
function canvasImage(canvas: HTMLCanvasElement): HTMLImageElement {
  let img = canvas.querySelector<HTMLImageElement>(`:scope > img[${CANVAS_IMAGE_ATTR}]`);
  if (!img) {
    img = canvas.ownerDocument.createElement('img');
    img.setAttribute(CANVAS_IMAGE_ATTR, '');
    img.alt = '';
    img.src = `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" width="${canvas.width}" height="${canvas.height}"/>`)}`;
    canvas.append(img);
  }
  return img;
}

const isCanvas = (node: unknown): node is HTMLCanvasElement =>
  typeof node === 'object' && node !== null && (node as Node).nodeType === 1 && (node as Node).nodeName === 'CANVAS' && 'getContext' in node;

/**
 * Keeps the latest state per node id and applies it once rrweb's DOM holds the node: at once
 * when an event is played, after the synchronous batch of a seek (whose nodes may still be in
 * rrweb's virtual DOM) otherwise. A full snapshot starts over.
 */
function latestStatePlugin<S>(read: (e: eventWithTime) => Array<[number, S]> | undefined, apply: (node: Node, state: S) => void): ReplayPlugin {
  let pending = new Map<number, S>();
  let replayer: Replayer | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    if (!replayer) return;
    const mirror = replayer.getMirror();
    for (const [id, state] of pending) {
      const node = mirror.getNode(id);
      if (!node) continue;
      pending.delete(id);
      try {
        apply(node, state);
      } catch { /* a node of another kind under that id: nothing to apply */ }
    }
  };
  return {
    handler(event, isSync, context) {
      replayer = context.replayer;
      if (event.type === EventType.FullSnapshot) pending = new Map();
      const states = read(event);
      if (!states?.length) return;
      for (const [id, state] of states) {
        // Re-inserted, so that the order of application is the order of the events.
        pending.delete(id);
        pending.set(id, state);
      }
      if (!isSync) flush();
      else timer ??= setTimeout(flush, 0);
    },
  };
}

/** Replays canvases: each replayed canvas shows its snapshot image, then its latest sampled frame. */
export function canvasFramesPlugin(): ReplayPlugin {
  const plugin = latestStatePlugin<string>(
    (e) => {
      const out = snapshotImages(e);
      const d = e.data as { source?: number; id?: number; commands?: CanvasCommand[] };
      if (e.type === EventType.IncrementalSnapshot && d.source === CANVAS_MUTATION && typeof d.id === 'number' && Array.isArray(d.commands)) {
        const image = frameImage(d.commands);
        if (image) out.push([d.id, image]);
      }
      return out;
    },
    (node, image) => {
      if (isCanvas(node)) canvasImage(node).src = image;
    },
  );
  return {
    ...plugin,
    onBuild(node) {
      if (isCanvas(node)) canvasImage(node);
    },
  };
}

/** Replays popovers' open state (`sentiero/popover@1`: `{ id, open }`) with `showPopover()` / `hidePopover()`. */
export function popoverPlugin(): ReplayPlugin {
  return latestStatePlugin<boolean>(
    (e) => {
      const d = e.data as { tag?: string; payload?: { id?: unknown; open?: unknown } };
      if (e.type !== EventType.Custom || d.tag !== CustomTag.POPOVER) return undefined;
      const { id, open } = d.payload ?? {};
      return typeof id === 'number' && typeof open === 'boolean' ? [[id, open]] : undefined;
    },
    (node, open) => {
      const el = node as HTMLElement;
      if (el.nodeType !== 1 || !el.isConnected || !el.hasAttribute('popover')) return;
      const shown = el.matches(':popover-open');
      if (open && !shown) el.showPopover();
      else if (!open && shown) el.hidePopover();
    },
  );
}

/**
 * Fonts the page added with the `FontFace` API (recorded with `collectFonts`): rrweb adds them
 * to the replayed document from the viewer's page, and a face that finishes loading there does
 * not always make that document lay its text out again. Once each one has loaded, it is added
 * again, which does.
 */
export function fontsPlugin(): ReplayPlugin {
  return {
    handler(event, _isSync, { replayer }) {
      const d = event.data as { source?: number; family?: unknown };
      if (event.type !== EventType.IncrementalSnapshot || d.source !== FONT || typeof d.family !== 'string') return;
      const fonts = replayer.iframe.contentDocument?.fonts;
      if (!fonts) return;
      const family = d.family.replace(/["']/g, '');
      fonts.forEach((face) => {
        if (face.family.replace(/["']/g, '') !== family) return;
        face.loaded.then(() => {
          if (!fonts.has(face)) return;
          fonts.delete(face);
          fonts.add(face);
        }, () => { /* a font that failed to load: the fallback shows */ });
      });
    },
  };
}

/**
 * Modal dialogs closed while a replay plays: rrweb removes their `open` attribute, which leaves
 * a modal dialog in the top layer (still `:modal`, its backdrop over the page). Such a dialog
 * is closed properly (`open` put back, then `close()`).
 */
export function dialogPlugin(): ReplayPlugin {
  return latestStatePlugin<true>(
    (e) => {
      const d = e.data as { source?: number; attributes?: Array<{ id?: unknown; attributes?: Record<string, unknown> }> };
      if (e.type !== EventType.IncrementalSnapshot || d.source !== MUTATION || !Array.isArray(d.attributes)) return undefined;
      return d.attributes.flatMap((a): Array<[number, true]> => (typeof a?.id === 'number' && a.attributes?.open === null ? [[a.id, true]] : []));
    },
    (node) => {
      const dialog = node as HTMLDialogElement;
      if (dialog.nodeName !== 'DIALOG' || dialog.open || !dialog.matches(':modal')) return;
      dialog.setAttribute('open', '');
      dialog.close();
    },
  );
}
