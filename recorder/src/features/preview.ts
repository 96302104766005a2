/**
 * Any page value as a short, safe text preview, the way a console shows it: cycles, depth,
 * key counts and lengths are capped; DOM nodes become a descriptor (`<input#email.field>`),
 * never their value or text; Errors keep their stack; functions, symbols and bigints are
 * named. Getters that throw and hostile proxies give `[unreadable]`: previewing never throws.
 */

/** Caps of one preview. */
export const PREVIEW_LIMITS = {
  /** Most characters of one value's preview. */
  maxChars: 2000,
  /** Deepest nesting shown; deeper objects are `{…}` / `[…]`. */
  maxDepth: 3,
  /** Most keys (or items) shown per object, array, map or set. */
  maxKeys: 20,
  /** Most characters of one string inside an object. */
  maxInnerString: 200,
} as const;

const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s);

/** A DOM node's descriptor: tag, id and classes; never an input's value or any text. */
function nodeDescriptor(node: Node): string {
  if (node.nodeType === 1) {
    const el = node as Element;
    let d = el.tagName.toLowerCase();
    if (el.id) d += `#${el.id.slice(0, 40)}`;
    const cls = typeof el.className === 'string' ? el.className.trim().split(/\s+/).filter(Boolean).slice(0, 3) : [];
    for (const c of cls) d += `.${c.slice(0, 40)}`;
    return `<${d}>`;
  }
  if (node.nodeType === 3) return '#text';
  if (node.nodeType === 8) return '#comment';
  if (node.nodeType === 9) return '#document';
  if (node.nodeType === 11) return '#document-fragment';
  return node.nodeName;
}

/** A node of this document or of another realm (an iframe's), told by its shape. */
function isNode(v: object): v is Node {
  if (typeof Node === 'function' && v instanceof Node) return true;
  const n = v as { nodeType?: unknown; nodeName?: unknown };
  return typeof n.nodeType === 'number' && typeof n.nodeName === 'string';
}

function isWindow(v: object): boolean {
  return typeof Window === 'function' && v instanceof Window;
}

function errorText(e: Error): string {
  const head = `${e.name || 'Error'}: ${e.message}`;
  const stack = typeof e.stack === 'string' ? e.stack : '';
  // V8's stack starts with the head; Firefox's and Safari's hold the frames only.
  return stack.startsWith(head) || stack.startsWith(e.name) ? stack : stack ? `${head}\n${stack}` : head;
}

function constructorName(v: object): string {
  try {
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === 'string' && name ? name : 'Object';
  } catch {
    return 'Object';
  }
}

function inner(v: unknown, depth: number, seen: Set<object>): string {
  switch (typeof v) {
    case 'string': return depth === 0 ? v : JSON.stringify(clip(v, PREVIEW_LIMITS.maxInnerString));
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'boolean': return String(v);
    case 'undefined': return 'undefined';
    case 'bigint': return `${v}n`;
    case 'symbol': return v.toString();
    case 'function': return `ƒ ${v.name || '(anonymous)'}()`;
    default: break;
  }
  if (v === null) return 'null';
  const o = v as object;
  try {
    if (isNode(o)) return nodeDescriptor(o);
    if (isWindow(o)) return 'Window';
    if (o instanceof Error) return depth === 0 ? errorText(o) : `${o.name || 'Error'}: ${clip(o.message, PREVIEW_LIMITS.maxInnerString)}`;
    if (o instanceof Date) return Number.isNaN(o.getTime()) ? 'Invalid Date' : o.toISOString();
    if (o instanceof RegExp) return String(o);
    if (o instanceof Promise) return 'Promise';
    if (ArrayBuffer.isView(o)) return `${constructorName(o)}(${(o as { length?: number }).length ?? o.byteLength})`;
    if (o instanceof ArrayBuffer) return `ArrayBuffer(${o.byteLength})`;
    if (typeof Event === 'function' && o instanceof Event) {
      const target = o.target && typeof o.target === 'object' && isNode(o.target as object) ? ` on ${nodeDescriptor(o.target as Node)}` : '';
      return `${constructorName(o)} "${o.type}"${target}`;
    }
    if (seen.has(o)) return '[Circular]';
    const isArray = Array.isArray(o);
    if (depth >= PREVIEW_LIMITS.maxDepth) return isArray ? `Array(${(o as unknown[]).length})` : o instanceof Map || o instanceof Set ? `${constructorName(o)}(${o.size})` : '{…}';
    seen.add(o);
    try {
      const parts: string[] = [];
      let more = 0;
      const take = (text: () => string): void => {
        if (parts.length < PREVIEW_LIMITS.maxKeys) {
          try {
            parts.push(text());
          } catch {
            parts.push('[unreadable]');
          }
        } else {
          more++;
        }
      };
      if (isArray) {
        const arr = o as unknown[];
        const n = Math.min(arr.length, PREVIEW_LIMITS.maxKeys + 1);
        for (let i = 0; i < n; i++) take(() => inner(arr[i], depth + 1, seen));
        more = Math.max(more, arr.length - PREVIEW_LIMITS.maxKeys);
        return `[${parts.join(', ')}${more > 0 ? `, … ${more} more` : ''}]`;
      }
      if (o instanceof Map) {
        for (const [k, val] of o) take(() => `${inner(k, depth + 1, seen)} => ${inner(val, depth + 1, seen)}`);
        return `Map(${o.size}) {${parts.join(', ')}${more ? `, … ${more} more` : ''}}`;
      }
      if (o instanceof Set) {
        for (const val of o) take(() => inner(val, depth + 1, seen));
        return `Set(${o.size}) {${parts.join(', ')}${more ? `, … ${more} more` : ''}}`;
      }
      for (const key of Object.keys(o)) {
        take(() => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key.slice(0, 100))}: ${inner((o as Record<string, unknown>)[key], depth + 1, seen)}`);
      }
      const name = constructorName(o);
      return `${name === 'Object' ? '' : `${name} `}{${parts.join(', ')}${more ? `, … ${more} more` : ''}}`;
    } finally {
      seen.delete(o);
    }
  } catch {
    return '[unreadable]';
  }
}

/** The preview of one value, at most `maxChars` characters (strings at the top level are kept as they are, within the cap). */
export function preview(value: unknown, maxChars: number = PREVIEW_LIMITS.maxChars): string {
  let text: string;
  try {
    text = inner(value, 0, new Set());
  } catch {
    text = '[unreadable]';
  }
  return clip(text, maxChars);
}
