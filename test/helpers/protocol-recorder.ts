/**
 * A recorder speaking the ingest protocol over `ws` as the real one does: `hello` with its last
 * seq, and after every `welcome` it drops the batches the relay acknowledged (`ackedSeq`) and
 * sends the rest again, in order; it reconnects whenever the socket closes until stopped.
 */
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION, createId } from '@sentiero/protocol';

/** One event this recorder made: `n` numbers it within the recorder. */
export interface NumberedEvent { type: 3; timestamp: number; data: { source: 0; client: number; n: number } }

/** A protocol-speaking recorder with its own session. */
export class ProtocolRecorder {
  readonly sessionId = createId();
  readonly windowId = createId();
  /** Every batch made, by seq; the ones not yet acknowledged are re-sent after a reconnect. */
  private readonly batches = new Map<number, NumberedEvent[]>();
  /** The highest seq the relay acknowledged. */
  ackedSeq = 0;
  private seq = 0;
  private events = 0;
  private ws: WebSocket | undefined;
  private stopped = false;
  private ticker: ReturnType<typeof setInterval> | undefined;

  /** `url`: the relay's ingest URL, or a function that picks one at each (re)connect. */
  constructor(private readonly url: string | (() => string), readonly client: number) {}

  /** Connects and makes a batch of `perBatch` events every `everyMs`. */
  start(everyMs: number, perBatch = 3): void {
    this.connect();
    this.ticker = setInterval(() => this.record(perBatch), everyMs);
  }

  /** Stops making batches (the socket stays to deliver what is left). */
  stopRecording(): void {
    clearInterval(this.ticker);
  }

  /** Stops everything. */
  close(): void {
    this.stopRecording();
    this.stopped = true;
    this.ws?.terminate();
  }

  /** Drops the socket as a network would; the recorder reconnects (to the URL its picker gives). */
  drop(): void {
    this.ws?.terminate();
  }

  /** Every event made so far. */
  made(): NumberedEvent[] {
    return [...this.batches.values()].flat();
  }

  /** Whether every batch made is acknowledged. */
  allAcked(): boolean {
    return this.ackedSeq === this.seq;
  }

  private record(perBatch: number): void {
    const events = Array.from({ length: perBatch }, (): NumberedEvent => ({ type: 3, timestamp: Date.now(), data: { source: 0, client: this.client, n: ++this.events } }));
    this.batches.set(++this.seq, events);
    this.send(this.seq);
  }

  private send(seq: number): void {
    if (this.ws?.readyState !== WebSocket.OPEN || !this.welcomed) return;
    this.ws.send(JSON.stringify({ t: 'batch', seq, events: this.batches.get(seq) }));
  }

  private welcomed = false;

  private connect(): void {
    if (this.stopped) return;
    this.welcomed = false;
    const ws = new WebSocket(typeof this.url === 'string' ? this.url : this.url());
    this.ws = ws;
    ws.on('error', () => { /* 'close' follows */ });
    ws.on('open', () => {
      ws.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, sessionId: this.sessionId, windowId: this.windowId, lastSeq: this.seq, meta: { url: `http://load.test/${this.client}`, userAgent: 'protocol-recorder', startedAt: Date.now() } }));
    });
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { t: string; seq?: number; ackedSeq?: number };
      if (m.t === 'welcome') {
        this.ackedSeq = Math.max(this.ackedSeq, m.ackedSeq!);
        this.welcomed = true;
        for (let s = this.ackedSeq + 1; s <= this.seq; s++) this.send(s);
      } else if (m.t === 'ack') {
        this.ackedSeq = Math.max(this.ackedSeq, m.seq!);
      }
    });
    ws.on('close', () => {
      if (this.ws === ws) setTimeout(() => this.connect(), 200);
    });
  }
}
