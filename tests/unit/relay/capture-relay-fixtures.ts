// What the CaptureRelay tests share (tests/unit/relay/capture-relay-*.test.ts): a fake runtime port, a relay wired to
// fake ports and a manual clock, and page batches as the hook posts them.
import { CaptureRelay, type RelayEnvironment } from '@/lib/relay/capture-relay';
import type { Port } from '@/lib/shared/transport';
import { NAMESPACE, PACKED_EXTRA, PROTOCOL_VERSION, frameCodeOf, type BlobBytes, type PageEvent, type RelayToBackgroundMessage, type RelayToPageMessage, type WireEvent } from '@/lib/shared/protocol';
import { unpackBatch, withLargeTextBytes } from '@/lib/shared/packed-batch';

/**
 * The relay's end of a runtime port: records what the relay sends and lets the test answer or drop it at once
 * (synchronously, unlike memoryPortPair: these tests drive the relay step by step with a manual clock).
 */
export class FakePort implements Port<RelayToBackgroundMessage> {
  posted: RelayToBackgroundMessage[] = [];
  disconnected = false;
  failPosts = false;
  private messageListeners: Array<(m: unknown) => void> = [];
  private disconnectListeners: Array<() => void> = [];
  send(message: RelayToBackgroundMessage): void {
    if (this.failPosts || this.disconnected) throw new Error('Attempting to use a disconnected port object');
    this.posted.push(structuredClone(message)); // the real port is a structured clone (Chrome 148+, Firefox)
  }
  listen(onMessage: (m: unknown) => void, onDisconnect?: () => void): () => void {
    this.messageListeners.push(onMessage);
    if (onDisconnect) this.disconnectListeners.push(onDisconnect);
    return () => undefined;
  }
  disconnect(): void {
    this.disconnected = true;
  }
  /** The background answers. */
  deliver(body: Record<string, unknown>): void {
    for (const l of this.messageListeners) l({ ns: NAMESPACE, ...body });
  }
  /** The other end went away (service worker stopped). */
  drop(): void {
    this.disconnected = true;
    for (const l of this.disconnectListeners) l();
  }
  /** Batches posted, unpacked as the background would. */
  batches() {
    return this.posted
      .filter((m): m is Extract<RelayToBackgroundMessage, { type: 'batch' }> => m.type === 'batch')
      .map((m) => ({ ...m, events: unpackBatch(m.packed) }));
  }
  /** The same, with Blobs read first, as the background does. */
  async readBatches() {
    const batches = this.posted.filter((m): m is Extract<RelayToBackgroundMessage, { type: 'batch' }> => m.type === 'batch');
    return Promise.all(batches.map(async (m) => ({ ...m, events: await withBytesRead(unpackBatch(await withLargeTextBytes(m.packed))) })));
  }
}

/** The events with every binary payload left in a Blob (BlobBytes) read into an ArrayBuffer, for comparing bytes. */
async function withBytesRead(events: WireEvent[]): Promise<WireEvent[]> {
  for (const event of events) {
    if (event.k !== 'frame' || event.bytes === undefined || event.bytes instanceof ArrayBuffer) continue;
    const { blob, start, size } = event.bytes;
    event.bytes = await blob.slice(start, start + size).arrayBuffer();
  }
  return events;
}

/**
 * A relay wired to fake ports and a manual clock. It is woken at once (as a page's first event would) unless
 * `idle`: most tests are about a connected relay.
 */
export function setup(options: { topLevel?: boolean; sessionId?: string; idle?: boolean } = {}) {
  const ports: FakePort[] = [];
  const toPage: RelayToPageMessage[] = [];
  let timers: Array<{ callback: () => void; ms: number }> = [];
  const reconnectDelays: number[] = [];
  let valid = true;
  let connectThrows = false;
  const env: RelayEnvironment = {
    connect: () => {
      if (connectThrows) throw new Error('Extension context invalidated.');
      const port = new FakePort();
      ports.push(port);
      return port;
    },
    contextValid: () => valid,
    // Like a MessagePort: what is transferred is detached here.
    postToPage: (m, transfer) => void toPage.push(transfer?.length ? structuredClone(m, { transfer }) : m),
    setTimer: (callback, ms) => {
      timers.push({ callback, ms });
      // Reconnect timers are told apart from flush timers by what they call (their delays can coincide).
      if (callback.toString().includes('openPort')) reconnectDelays.push(ms);
    },
    topLevel: options.topLevel ?? true,
    pageUrl: 'https://example.test/app',
    origin: 'https://example.test',
    frameUrl: () => 'https://example.test/app',
    title: () => title,
    startedAt: 1000,
    sessionId: 'sessionId' in options ? options.sessionId : 'session-1',
  };
  let title = 'App';
  const relay = new CaptureRelay(env);
  if (!options.idle) relay.wake();
  return {
    setTitle: (value: string) => (title = value),
    relay,
    ports,
    toPage,
    port: () => ports[ports.length - 1],
    /** Runs every timer due now, and those they schedule, until none is left; returns how many rounds (tasks) ran. */
    runTimers(): number {
      let round = 0;
      for (; round < 1000 && timers.length > 0; round++) {
        const due = timers;
        timers = [];
        for (const t of due) t.callback();
      }
      return round;
    },
    reconnectDelays,
    invalidate: () => (valid = false),
    failConnect: () => (connectThrows = true),
  };
}

/** A page batch as the hook posts it: here every event travels whole (the hook's plain rows: see `plainRows`). */
export const page = (...events: PageEvent[]) => ({ ns: NAMESPACE, type: 'page-events', ids: [], rows: Float64Array.from(events.flatMap((_, i) => [PACKED_EXTRA, i, 0, 0, 0])), text: '', events });
/** A page batch of plain text rows, as the hook posts text frames. */
export const plainRows = (id: string, frames: Array<[seq: number, text: string]>) => ({
  ns: NAMESPACE,
  type: 'page-events',
  ids: [id],
  rows: Float64Array.from(frames.flatMap(([seq, data]) => [frameCodeOf('send', 1, 'page', 'sent'), 0, seq, seq, data.length])),
  text: frames.map(([, data]) => data).join(''),
  events: [],
});
export const connect = (id = 's1'): PageEvent => ({ k: 'connect', socketId: id, url: 'wss://x/', protocols: [], frameUrl: 'https://example.test/app', time: 1 });
export const text = (seq: number, data: string, id = 's1'): PageEvent => ({ k: 'frame', socketId: id, seq, time: seq, dir: 'send', data, origin: 'page', status: 'sent' });
export const welcome = (sessionId = 'session-1') => ({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, sessionId });
/** Each event's payload (binary as base64, also where the background unpacked raw bytes) or its kind. */
export const payloads = (events: WireEvent[]) =>
  events.map((e) => (e.k === 'frame' && e.bytes !== undefined ? Buffer.from(bytesOf(e.bytes)).toString('base64') : 'payload' in e ? e.payload : e.k));
function bytesOf(bytes: ArrayBuffer | BlobBytes): ArrayBuffer {
  if (bytes instanceof ArrayBuffer) return bytes;
  throw new Error('a payload still in its Blob: use readBatches()');
}
