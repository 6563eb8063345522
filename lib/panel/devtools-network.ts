/**
 * The DevTools-open source (issue #21 §2-3): while the panel runs inside Chrome's DevTools, DevTools' own network
 * log lists the WebSockets of the inspected tab, those of its dedicated workers and of its service worker included
 * (not a SharedWorker's: DevTools does not attach to shared workers), with the handshake's headers and status and
 * each message (`_webSocketMessages`). This reads that log (`getHAR()`, polled, plus
 * `onRequestFinished`, which fires when a socket closes or fails) and sends the background what is new for each
 * socket; the background attaches the handshake to the connection the page hook captured, or stores the socket as a
 * connection of its own (lib/worker/devtools-sockets.ts).
 *
 * What Chrome gives (measured in Chromium 156, tests/e2e/devtools-network.spec.ts): getHAR lists open sockets too,
 * each with `_resourceType: 'websocket'`, request and response headers (Cookie and Authorization included: the
 * extension API's HAR is not sanitised), status 101, and `_webSocketMessages` [{type, time (s), opcode, data}]
 * (binary data is base64). A refused upgrade has status 0, no response headers, and one message of type 'error'
 * "Error during WebSocket handshake: Unexpected response code: 403": the status is read from it. Only what
 * happened while DevTools was open is in the log.
 */
import type { DevtoolsSocket, DevtoolsSocketMessage, DevtoolsSocketOutcome } from '../shared/protocol';
import type { Handshake, HeaderEntry } from '../shared/records';

/** The parts of a HAR entry this reads (Chrome's HAR, lib/io/formats/har.ts has the rest). */
export interface DevtoolsHarEntry {
  startedDateTime: string;
  _resourceType?: string;
  _initiator?: { url?: string; stack?: { callFrames?: { url?: string }[] } } | null;
  _webSocketMessages?: { type: string; time: number; opcode: number; data: string }[];
  request: { method: string; url: string; headers: HeaderEntry[] };
  response: { status: number; statusText: string; headers: HeaderEntry[] };
}

/** How often the log is read while the panel is open. getHAR builds the whole log each time: once a second. */
export const POLL_MS = 1000;
/**
 * At most this share of DevTools' own thread goes to reading the log: a slow getHAR spaces the next one out.
 * Measured (Chromium 156, `WSI_BENCH=1 npx playwright test devtools-network -g benchmark`): one getHAR takes a
 * median 33 ms with 10,000 WebSocket messages in the log and 93 ms with 50,000 (3% and 9% of a second).
 */
export const POLL_SHARE = 0.05;

/** The wait before the next read of the log, after one that took `tookMs`. */
export function nextPollDelay(intervalMs: number, tookMs: number): number {
  return Math.max(intervalMs, Math.ceil(tookMs / POLL_SHARE));
}
/** A send not answered in this long (the worker restarted) is sent again. */
const RESEND_AFTER_MS = 5000;

const REFUSED = /Unexpected response code: (\d{3})/;

/** The key of a log entry: stable across polls and onRequestFinished while DevTools is open. */
export function entryKey(entry: DevtoolsHarEntry): string {
  return `${entry.request.url}@${entry.startedDateTime}`;
}

/** Whether a HAR entry is a WebSocket. */
export function isWebSocketEntry(entry: DevtoolsHarEntry): boolean {
  return entry._resourceType === 'websocket' || Array.isArray(entry._webSocketMessages) || /^wss?:/i.test(entry.request?.url ?? '');
}

function headerList(headers: unknown): HeaderEntry[] {
  if (!Array.isArray(headers)) return [];
  return headers.filter((h): h is HeaderEntry => typeof h?.name === 'string' && typeof h?.value === 'string').map((h) => ({ name: h.name, value: h.value }));
}

function messagesOf(entry: DevtoolsHarEntry): DevtoolsSocketMessage[] {
  return (entry._webSocketMessages ?? []).map((m) => ({
    type: m.type === 'send' ? 'send' : m.type === 'receive' ? 'receive' : 'error',
    time: Number(m.time) * 1000,
    opcode: Number(m.opcode),
    data: String(m.data ?? ''),
  }));
}

/** The handshake of an entry; a refused upgrade's status comes from its error message. */
export function handshakeOf(entry: DevtoolsHarEntry): Handshake {
  const handshake: Handshake = {
    method: entry.request.method || 'GET',
    url: entry.request.url,
    status: Number(entry.response?.status) || 0,
    statusText: String(entry.response?.statusText ?? ''),
    requestHeaders: headerList(entry.request.headers),
    responseHeaders: headerList(entry.response?.headers),
    source: 'devtools',
  };
  const error = (entry._webSocketMessages ?? []).find((m) => m.type !== 'send' && m.type !== 'receive');
  if (error) {
    handshake.error = String(error.data);
    const refused = REFUSED.exec(handshake.error);
    if (handshake.status === 0 && refused) handshake.status = Number(refused[1]);
  }
  return handshake;
}

/** The script that opened the socket, as DevTools' initiator says (not our own hook's frame). */
export function initiatorUrlOf(entry: DevtoolsHarEntry): string | undefined {
  const frames = entry._initiator?.stack?.callFrames ?? [];
  const script = frames.map((f) => f.url ?? '').find((url) => url !== '' && !/^(chrome|moz)-extension:/.test(url));
  return script ?? (entry._initiator?.url || undefined);
}

/** The whole socket of a log entry (from message 0). */
export function socketOfEntry(entry: DevtoolsHarEntry): DevtoolsSocket {
  const socket: DevtoolsSocket = {
    key: entryKey(entry),
    url: entry.request.url,
    startedAt: Date.parse(entry.startedDateTime),
    handshake: handshakeOf(entry),
    from: 0,
    messages: messagesOf(entry),
  };
  const initiatorUrl = initiatorUrlOf(entry);
  if (initiatorUrl) socket.initiatorUrl = initiatorUrl;
  return socket;
}

interface SocketProgress {
  outcome?: DevtoolsSocketOutcome['outcome'];
  /** Messages the background has stored (outcome 'stored'). */
  stored: number;
  /** The handshake the background has (outcome 'attached'), as JSON. */
  handshake?: string;
  finished?: number;
  /** The finish the background has seen. */
  finishSent?: boolean;
  /** The unanswered send carried the finish. */
  finishInFlight?: boolean;
  sentAt?: number;
}

export interface DevtoolsNetworkDeps {
  getHAR(): Promise<{ entries: DevtoolsHarEntry[] }>;
  onRequestFinished(listener: (entry: DevtoolsHarEntry) => void): void;
  send(sockets: DevtoolsSocket[]): void;
  now?: () => number;
  /** Milliseconds for timing getHAR (performance.now by default). */
  clock?: () => number;
}

/**
 * Decides, per poll, what each socket still owes the background: nothing once it is attached (the hook has its
 * frames) or stored up to its last message and finish; else the new messages since the last stored one.
 */
export class DevtoolsNetworkSource {
  private readonly progress = new Map<string, SocketProgress>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private polling = false;
  private readonly now: () => number;

  constructor(private readonly deps: DevtoolsNetworkDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(intervalMs = POLL_MS): void {
    this.deps.onRequestFinished((entry) => {
      if (!isWebSocketEntry(entry)) return;
      const progress = this.state(entryKey(entry));
      progress.finished ??= this.now();
      this.sync([entry]);
    });
    this.running = true;
    const clock = this.deps.clock ?? (() => performance.now());
    const loop = async (): Promise<void> => {
      const began = clock();
      await this.poll();
      if (this.running) this.timer = setTimeout(() => void loop(), nextPollDelay(intervalMs, clock() - began));
    };
    void loop();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads the log once and sends what is new. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const har = await this.deps.getHAR();
      this.sync(har.entries ?? []);
    } catch {
      // DevTools closing or navigating: the next poll tries again
    } finally {
      this.polling = false;
    }
  }

  /** Sends the sockets among `entries` that owe the background something. */
  sync(entries: DevtoolsHarEntry[]): void {
    const now = this.now();
    const due: DevtoolsSocket[] = [];
    for (const entry of entries) {
      if (!isWebSocketEntry(entry)) continue;
      const socket = socketOfEntry(entry);
      const progress = this.state(socket.key);
      if (progress.sentAt !== undefined && now - progress.sentAt < RESEND_AFTER_MS) continue;
      const handshake = JSON.stringify(socket.handshake);
      if (progress.outcome === 'attached' && progress.handshake === handshake) continue;
      const finishOwed = progress.finished !== undefined && !progress.finishSent;
      if (progress.outcome === 'stored' && progress.stored >= socket.messages.length && !finishOwed) continue;
      const from = progress.outcome === 'stored' ? Math.min(progress.stored, socket.messages.length) : 0;
      due.push({ ...socket, from, messages: socket.messages.slice(from), ...(progress.finished !== undefined ? { finished: { time: progress.finished } } : {}) });
      progress.sentAt = now;
      progress.handshake = handshake;
      progress.finishInFlight = progress.finished !== undefined;
    }
    if (due.length > 0) this.deps.send(due);
  }

  /** The background's answer to a send. */
  onResults(results: DevtoolsSocketOutcome[]): void {
    for (const result of results) {
      const progress = this.state(result.key);
      progress.sentAt = undefined;
      if (result.outcome === 'pending') continue;
      progress.outcome = result.outcome;
      if (result.outcome === 'stored') {
        progress.stored = result.stored;
        if (progress.finishInFlight) progress.finishSent = true;
      }
    }
  }

  /** The port was lost: everything unanswered is sent again. */
  resetPending(): void {
    for (const progress of this.progress.values()) progress.sentAt = undefined;
  }

  private state(key: string): SocketProgress {
    let progress = this.progress.get(key);
    if (!progress) this.progress.set(key, (progress = { stored: 0 }));
    return progress;
  }
}
