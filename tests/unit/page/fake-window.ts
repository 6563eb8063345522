/**
 * A window for the page hook in Node: Node's own natives where it has them (EventTarget, MessageChannel, Blob,
 * typed arrays, URL, performance), and small fakes for what it lacks: WebSocket, CloseEvent, a MessageEvent that
 * honours `cancelable` (the hand-over needs preventDefault), location. The fake socket's events are marked
 * trusted (the hook ignores untrusted ones, as the browser's page events would be).
 */
import { HANDOVER_EVENT_TYPE, HOOK_PORT_DATA, RELAY_READY_DATA } from '@/lib/shared/protocol';

const nodeMessageData = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data')!.get!;
const eventData = new WeakMap<Event, { data: unknown; origin: string; ports: MessagePort[] }>();

/** A MessageEvent whose `data` getter also reads Node's own (the port's messages are Node's). */
class PageMessageEvent extends Event {
  constructor(type: string, init: { data?: unknown; origin?: string; ports?: Iterable<MessagePort>; cancelable?: boolean } = {}) {
    super(type, init);
    eventData.set(this, { data: init.data, origin: init.origin ?? '', ports: init.ports ? Array.from(init.ports) : [] });
  }
  get data(): unknown {
    const own = eventData.get(this);
    return own ? own.data : nodeMessageData.call(this);
  }
  get origin(): string {
    return eventData.get(this)?.origin ?? '';
  }
  get ports(): MessagePort[] {
    return eventData.get(this)?.ports ?? [];
  }
}

const closeData = new WeakMap<Event, { code: number; reason: string; wasClean: boolean }>();
class PageCloseEvent extends Event {
  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    closeData.set(this, { code: init.code ?? 0, reason: init.reason ?? '', wasClean: init.wasClean ?? false });
  }
  get code(): number {
    return closeData.get(this)!.code;
  }
  get reason(): string {
    return closeData.get(this)!.reason;
  }
  get wasClean(): boolean {
    return closeData.get(this)!.wasClean;
  }
}

interface Inner {
  url: string;
  protocols: unknown;
  readyState: number;
  binaryType: string;
  /** What reached the network through the native send. */
  sent: unknown[];
  closed?: unknown[];
}
const inner = new WeakMap<object, Inner>();
const made: object[] = [];

/** The "native" WebSocket: getters and methods on its prototype, as the browser's. */
export class FakeWebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  constructor(url: string, protocols?: unknown) {
    super();
    inner.set(this, { url: `${url}`, protocols, readyState: 0, binaryType: 'blob', sent: [] });
    made.push(this);
  }
  get url(): string {
    return inner.get(this)!.url;
  }
  get readyState(): number {
    return inner.get(this)!.readyState;
  }
  get protocol(): string {
    return 'chat';
  }
  get extensions(): string {
    return '';
  }
  get binaryType(): string {
    return inner.get(this)!.binaryType;
  }
  set binaryType(value: string) {
    inner.get(this)!.binaryType = value;
  }
  send(data: unknown): void {
    const s = inner.get(this);
    if (!s) throw new TypeError('Illegal invocation');
    if (s.readyState === 0) throw new Error("Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.");
    if (s.readyState === 1) s.sent.push(data);
  }
  close(...args: unknown[]): void {
    const s = inner.get(this)!;
    s.readyState = 2;
    s.closed = args;
  }
}

const trusted = <E extends Event>(e: E): E => Object.defineProperty(e, 'isTrusted', { value: true });

/** The network side of a fake socket. */
export const network = {
  open(ws: object): void {
    inner.get(ws)!.readyState = 1;
    (ws as EventTarget).dispatchEvent(trusted(new Event('open')));
  },
  receive(ws: object, data: unknown): void {
    (ws as EventTarget).dispatchEvent(trusted(new PageMessageEvent('message', { data })));
  },
  error(ws: object): void {
    (ws as EventTarget).dispatchEvent(trusted(new Event('error')));
  },
  close(ws: object, code = 1000, reason = ''): void {
    inner.get(ws)!.readyState = 3;
    (ws as EventTarget).dispatchEvent(trusted(new PageCloseEvent('close', { code, reason, wasClean: true })));
  },
  sent(ws: object): unknown[] {
    return inner.get(ws)!.sent;
  },
  protocolsAskedFor(ws: object): unknown {
    return inner.get(ws)!.protocols;
  },
  closedWith(ws: object): unknown[] | undefined {
    return inner.get(ws)!.closed;
  },
  /** The socket made last (by the page or the hook). */
  latest(): FakeWebSocket {
    return made.at(-1) as FakeWebSocket;
  },
};

export type FakeWindow = typeof globalThis & EventTarget;

/** A window's documents: `document` is an own getter of the window, as [LegacyUnforgeable] makes it in browsers. */
const documents = new WeakMap<object, EventTarget>();

/** A same-origin navigation that reuses the window (and so the hook in it): the window gets a new document. */
export function navigate(win: FakeWindow): EventTarget {
  const doc = new EventTarget();
  documents.set(win, doc);
  return doc;
}

/** A fresh window with its own WebSocket and Function.prototype.toString (Node's globals stay untouched). */
export function fakeWindow(): FakeWindow {
  const location = {};
  Object.defineProperty(location, 'href', { get: () => 'https://page.test/app', enumerable: true });
  class WebSocket extends FakeWebSocket {}
  const win = Object.assign(new EventTarget(), {
    WebSocket,
    Reflect,
    Object,
    Array,
    Proxy,
    WeakMap,
    Map,
    WeakRef,
    Function: { prototype: { toString: Function.prototype.toString } },
    String,
    TypeError,
    Error,
    Math,
    Number,
    setTimeout: (fn: () => void, ms?: number) => setTimeout(fn, ms),
    clearTimeout: (t: ReturnType<typeof setTimeout>) => clearTimeout(t),
    performance,
    Performance,
    EventTarget,
    Event,
    MessageEvent: PageMessageEvent,
    CloseEvent: PageCloseEvent,
    MessageChannel,
    MessagePort,
    ArrayBuffer,
    Uint8Array,
    Float64Array,
    DataView,
    Blob,
    Symbol,
    RegExp,
    URL,
    location,
    queueMicrotask,
  });
  Object.defineProperty(win, 'document', { get: () => documents.get(win), enumerable: true, configurable: false });
  navigate(win as unknown as FakeWindow);
  // The natives' getters are read from own descriptors of these prototypes: give the subclass its parent's.
  for (const key of ['url', 'readyState', 'protocol', 'extensions', 'binaryType', 'send', 'close']) {
    Object.defineProperty(WebSocket.prototype, key, Object.getOwnPropertyDescriptor(FakeWebSocket.prototype, key)!);
  }
  return win as unknown as FakeWindow;
}

/** The relay's "I'm here, offer again", on `doc`. */
export function relayReady(doc: EventTarget): void {
  doc.dispatchEvent(new PageMessageEvent(HANDOVER_EVENT_TYPE, { data: RELAY_READY_DATA }));
}

/** Plays the relay: takes the port the hook offers on the window's document, and collects what arrives on it. */
export function fakeRelay(win: FakeWindow) {
  const received: any[] = [];
  let port: MessagePort | undefined;
  let wake: (() => void) | undefined;
  const doc = (win as unknown as { document: EventTarget }).document;
  const onPort = (event: Event) => {
    if (!(event instanceof PageMessageEvent) || event.data !== HOOK_PORT_DATA || event.ports.length !== 1) return;
    doc.removeEventListener(HANDOVER_EVENT_TYPE, onPort, true);
    event.preventDefault();
    event.stopImmediatePropagation();
    port = event.ports[0];
    port.onmessage = (e) => {
      received.push(e.data);
      wake?.();
    };
  };
  doc.addEventListener(HANDOVER_EVENT_TYPE, onPort, true);
  return {
    received,
    get port(): MessagePort | undefined {
      return port;
    },
    /** Resolves once `count` messages have arrived in all. */
    async until(count: number): Promise<any[]> {
      while (received.length < count) await new Promise<void>((r) => (wake = r));
      return received;
    },
    post(message: unknown): void {
      port!.postMessage(message);
    },
    close(): void {
      port?.close();
    },
  };
}
