/**
 * The ingest socket, opened in a worker when the page allows it. `WebSocket.send` encodes the
 * text to UTF-8 and copies it on the calling thread, which for a recording costs about as much
 * as serialising it: in a dedicated worker that work leaves the page's main thread, which only
 * hands the (already serialised) text over, a plain copy. Where a worker cannot be made (no
 * `Worker`, or a Content-Security-Policy without `worker-src blob:`), or one fails, the socket
 * is an ordinary `WebSocket` on the main thread; the transport sees the same small interface.
 */

/** What the transport uses of a WebSocket. */
export interface IngestSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed, as `WebSocket.readyState`. */
  readonly readyState: number;
  send(text: string): void;
  close(code: number): void;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
}

/** Messages from the page to the worker. */
type ToWorker = { id: number; open: string } | { id: number; send: string } | { id: number; close: number };
/** Messages from the worker to the page. */
type FromWorker = { id: number; open: true } | { id: number; message: unknown } | { id: number; closed: number };

// The worker's whole program: one WebSocket per id, events relayed to the page as they come.
const WORKER_SOURCE = `var s = {};
onmessage = function (e) {
  var m = e.data, ws = s[m.id];
  try {
    if (m.open) {
      ws = s[m.id] = new WebSocket(m.open);
      ws.onopen = function () { postMessage({ id: m.id, open: true }); };
      ws.onmessage = function (ev) { postMessage({ id: m.id, message: ev.data }); };
      ws.onclose = function (ev) { delete s[m.id]; postMessage({ id: m.id, closed: ev.code }); };
    } else if (m.send !== undefined) {
      if (ws) ws.send(m.send);
    } else if (ws) {
      ws.close(m.close);
    }
  } catch (err) {
    delete s[m.id];
    postMessage({ id: m.id, closed: 1006 });
  }
};`;

/** What a socket that died without a close frame reports. */
const ABNORMAL = 1006;

class WorkerSocket implements IngestSocket {
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;

  constructor(private readonly host: WorkerHost, readonly id: number, url: string) {
    host.post({ id, open: url });
  }

  send(text: string): void {
    if (this.readyState !== 1) throw new Error('the socket is not open');
    this.host.post({ id: this.id, send: text });
  }

  close(code: number): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.host.post({ id: this.id, close: code });
  }

  /** An event from the worker. */
  receive(m: FromWorker): void {
    if ('open' in m) {
      this.readyState = 1;
      this.onopen?.();
    } else if ('message' in m) {
      this.onmessage?.({ data: m.message });
    } else {
      this.end(m.closed);
    }
  }

  /** The socket is gone (closed, or its worker failed). */
  end(code: number): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.host.forget(this.id);
    this.onclose?.({ code });
  }
}

class WorkerHost {
  readonly sockets = new Map<number, WorkerSocket>();
  private readonly worker: Worker;

  /** `onGone(failed)`: the worker was terminated, because it failed or because its last socket closed. */
  constructor(private readonly onGone: (failed: boolean) => void) {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    this.worker = new Worker(url);
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.sockets.get(e.data.id)?.receive(e.data);
    this.worker.onerror = () => this.fail();
  }

  post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  /** A socket ended; an idle worker is not kept (the next socket starts a new one). */
  forget(id: number): void {
    this.sockets.delete(id);
    if (!this.sockets.size) this.stop(false);
  }

  /** The worker could not run (a CSP refusing blob: workers reports it here): its sockets end, and later ones are native. */
  private fail(): void {
    this.stop(true);
    for (const s of [...this.sockets.values()]) s.end(ABNORMAL);
  }

  private stop(failed: boolean): void {
    this.onGone(failed);
    try {
      this.worker.terminate();
    } catch { /* already gone */ }
  }
}

let host: WorkerHost | undefined;
let workerRefused = false;
let nextId = 1;

/** Opens the ingest socket to `url`: in a worker when possible, else a `WebSocket` (which may throw, as its constructor does). */
export function openSocket(url: string): IngestSocket {
  if (!workerRefused && typeof Worker === 'function' && typeof Blob === 'function' && typeof URL.createObjectURL === 'function') {
    try {
      host ??= new WorkerHost((failed) => {
        if (failed) workerRefused = true;
        host = undefined;
      });
      const s = new WorkerSocket(host, nextId++, url);
      host.sockets.set(s.id, s);
      return s;
    } catch {
      workerRefused = true;
      host = undefined;
    }
  }
  return new WebSocket(url) as unknown as IngestSocket;
}
