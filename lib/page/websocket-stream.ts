/**
 * WebSocketStream (Chromium): the connection recorded like a WebSocket's (connect, open, every frame each way,
 * error, close: the same page events, so the relay and the store see no difference), the page's streams working as
 * without us.
 *
 * - `window.WebSocketStream` becomes a Proxy of the native constructor with only a `construct` trap (the native
 *   converts the arguments: the page's code runs once, by the browser); disguise.ts installs it and answers
 *   toString for it. The page's `opened` and `closed` are the native promises.
 * - At construction, before the page can, we add our reactions to `opened` and `closed`: ours run first. When
 *   `opened` fulfils, the info object the page is about to get (the same object) has its `readable` and `writable`
 *   replaced (same attributes, same order) by streams of ours that pass through to the native ones:
 *   - the readable reads the native one only when the page pulls (high-water mark 0), so the native keeps its
 *     backpressure, and hands the page the very chunk the browser made;
 *   - the writable has the native's high-water mark and completes a write when the native write does, so
 *     `desiredSize`, `ready` and the write promises follow the native's; an error of the native side (the
 *     connection went) errors ours with the same error.
 * - Nothing page-visible is looked up: our source, sink, strategy and thenables have no prototype; the promises we
 *   react to are made prototype-less while we call the saved `then` (no `constructor` lookup), and the ones only we
 *   hold stay so. `opened`/`closed` rejections are already marked handled by the browser, so our reactions change
 *   no `unhandledrejection`.
 *
 * What the page can still tell: each chunk reaches it a few microtasks later than without us.
 *
 * Commands (panel): we hold the native writer and our readable's controller, so a resend goes out through the
 * native writer (queued after the page's pending writes), a simulated message is enqueued on the page's readable,
 * and close calls the stream's close. Where that cannot be done the command result says why (intercept rules and
 * breakpoints do not apply to WebSocketStream connections).
 */
import type { PageCommand, PageEvent, RelayToPageMessage } from '../shared/protocol';
import { NAMESPACE } from '../shared/protocol';
import type { Batch } from './batch';
import type { BinaryReader } from './binary';
import type { NativeAnswers } from './native-answers';
import type { AnyFn, Natives, StreamNatives } from './natives';
import type { OwnObjects } from './own-objects';
import type { Recorder } from './recorder';
import type { HookState, SocketRegistry, SocketState } from './socket-state';

/** A thenable of ours, for the streams machinery: resolved with a prototype-less object, no `then` lookup of the page's. */
type Thenable = { then(resolve: (value?: unknown) => void, reject: (reason: unknown) => void): void };

interface Tracked {
  state: SocketState;
  stream: object;
  /** The native writable's writer (ours), once open. */
  writer: object | undefined;
  /** Our readable's controller, once open. */
  reads: object | undefined;
  readDone: boolean;
  closed: boolean;
  errored: boolean;
}

export interface StreamWrappers {
  /** Stands for the native WebSocketStream constructor (undefined where the browser has none). */
  proxy: object | undefined;
  /** Handles a panel command aimed at a WebSocketStream connection; false for anything else. */
  onRelayMessage(event: MessageEvent): boolean;
}

export function websocketStreams(
  natives: Natives,
  sn: StreamNatives | undefined,
  own: OwnObjects,
  binary: BinaryReader,
  batch: Batch,
  record: Recorder,
  hook: HookState,
  registry: SocketRegistry,
  answers: NativeAnswers,
): StreamWrappers {
  const { apply, construct, ProxyCtor, MapCtor, mapGet, mapSet, mapDelete, getPrototypeOf, setPrototypeOf, getOwnPropertyDescriptor, defineProperty, isView, StringCtor, locationHref, location, messageData } = natives;
  const { withoutPrototype } = own;
  const { isArrayBuffer, snapshotBinary, copyBuffer } = binary;
  const tracked = new MapCtor<string, Tracked>();

  function onRelayMessage(event: MessageEvent): boolean {
    const msg = apply(messageData, event, []) as RelayToPageMessage;
    if (typeof msg !== 'object' || msg === null) return false;
    own.withoutPrototypes(msg);
    if (msg.ns !== NAMESPACE || msg.type !== 'command') return false;
    const command = msg.command;
    if (command.kind !== 'send' && command.kind !== 'simulate-receive' && command.kind !== 'close') return false;
    const t = apply(mapGet, tracked, [command.socketId]) as Tracked | undefined;
    if (t === undefined) return false;
    let error: string | undefined;
    try {
      runCommand(t, command);
    } catch (e) {
      error = StringCtor((e as Error).message);
    }
    const reply = withoutPrototype({ ns: NAMESPACE, type: 'command-result' as const, requestId: msg.requestId, ok: error === undefined });
    if (error !== undefined) (reply as { error?: string }).error = error;
    batch.postAfterFlush(reply);
    return true;
  }

  if (sn === undefined) return withoutPrototype({ proxy: undefined, onRelayMessage });
  const s = sn;
  const nothing = (): void => {};

  /** `then` on a promise, without the page's `constructor` or `then` being looked up; the handlers never throw. */
  function react(promise: unknown, fulfilled: (value: unknown) => void, rejected: (reason: unknown) => void): void {
    const p = promise as object;
    const proto = getPrototypeOf(p);
    setPrototypeOf(p, null);
    try {
      apply(s.promiseThen, p, [
        (v: unknown) => {
          try {
            fulfilled(v);
          } catch {
            // never throw into a promise job
          }
        },
        (e: unknown) => {
          try {
            rejected(e);
          } catch {
            // never throw into a promise job
          }
        },
      ]);
    } finally {
      setPrototypeOf(p, proto);
    }
  }

  /** A prototype-less thenable that settles as `promise` does (for our source and sink's algorithms). */
  function follow(promise: unknown): Thenable {
    return withoutPrototype({
      then(resolve: (value?: unknown) => void, reject: (reason: unknown) => void) {
        react(promise, () => resolve(), reject);
      },
    });
  }

  function ownValue(obj: unknown, key: string): unknown {
    if (obj === null || typeof obj !== 'object') return undefined;
    const d = getOwnPropertyDescriptor(obj, key);
    return d !== undefined && 'value' in d ? d.value : undefined;
  }

  function recordData(state: SocketState, dir: 'send' | 'receive', data: unknown, origin: 'page' | 'inspector' | 'simulated'): void {
    if (!hook.active) return;
    if (typeof data === 'string') record.recordFrame(state, dir, data, origin, 'sent');
    else if (typeof data === 'object' && data !== null && !record.recordBinaryRow(state, dir, data, origin, 'sent')) {
      const snapshot = snapshotBinary(data);
      if (snapshot !== undefined) record.recordFrame(state, dir, snapshot, origin, 'sent');
    }
  }

  function tapReadable(t: Tracked, nativeReadable: object): object {
    const reader = apply(s.getReader, nativeReadable, []) as object;
    const source = withoutPrototype({
      start(controller: object) {
        t.reads = controller;
      },
      pull(controller: object): Thenable {
        return withoutPrototype({
          then(resolve: (value?: unknown) => void, reject: (reason: unknown) => void) {
            react(
              apply(s.read, reader, []),
              (result) => {
                if (ownValue(result, 'done') === true) {
                  if (!t.readDone) {
                    t.readDone = true;
                    apply(s.readClose, controller, []);
                  }
                } else {
                  const value = ownValue(result, 'value');
                  recordData(t.state, 'receive', value, 'page');
                  apply(s.enqueue, controller, [value]);
                }
                resolve();
              },
              (e) => {
                t.readDone = true;
                reject(e);
              },
            );
          },
        });
      },
      cancel(reason: unknown): Thenable {
        t.readDone = true;
        return follow(apply(s.readerCancel, reader, [reason]));
      },
    });
    // The native closing or failing while the page is not reading: ours follows (after what is queued, as the native).
    react(
      apply(s.readerClosed, reader, []),
      () => {
        if (t.readDone) return;
        t.readDone = true;
        apply(s.readClose, t.reads, []);
      },
      (e) => {
        if (t.readDone) return;
        t.readDone = true;
        apply(s.readError, t.reads, [e]);
      },
    );
    return new s.ReadableCtor(source as unknown as UnderlyingDefaultSource, withoutPrototype({ highWaterMark: 0 }));
  }

  function tapWritable(t: Tracked, nativeWritable: object): object {
    const writer = apply(s.getWriter, nativeWritable, []) as object;
    const size = apply(s.writerDesiredSize, writer, []);
    let controller: object | undefined;
    const sink = withoutPrototype({
      start(c: object) {
        controller = c;
      },
      write(chunk: unknown): Thenable {
        // Converted once here, as the native would, so the page's toString runs once.
        let data = chunk;
        const type = typeof chunk;
        if ((type === 'object' && chunk !== null && !isView(chunk) && !isArrayBuffer(chunk as object)) || type === 'function') data = StringCtor(chunk);
        if (type !== 'symbol') recordData(t.state, 'send', type === 'object' || type === 'function' || type === 'string' ? data : StringCtor(data), 'page');
        return follow(apply(s.write, writer, [data]));
      },
      close(): Thenable {
        return follow(apply(s.writerClose, writer, []));
      },
      abort(reason: unknown): Thenable {
        return follow(apply(s.writerAbort, writer, [reason]));
      },
    });
    react(apply(s.writerClosed, writer, []), nothing, (e) => {
      if (controller !== undefined) apply(s.writeError, controller, [e]);
    });
    t.writer = writer;
    const highWaterMark = typeof size === 'number' && size >= 0 ? size : 1;
    return new s.WritableCtor(sink as unknown as UnderlyingSink, withoutPrototype({ highWaterMark }));
  }

  /** Puts our stream in place of the native one on the info object, keeping the property's attributes. */
  function replace(info: object, key: string, make: (native: object) => object): void {
    const d = getOwnPropertyDescriptor(info, key);
    if (d === undefined || !('value' in d) || typeof d.value !== 'object' || d.value === null) return;
    const ours = make(d.value as object);
    defineProperty(info, key, withoutPrototype({ value: ours, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable }));
  }

  function watch(stream: object): void {
    const state = registry.newState(StringCtor(apply(s.streamUrl, stream, [])));
    const t: Tracked = withoutPrototype({ state, stream, writer: undefined, reads: undefined, readDone: false, closed: false, errored: false });
    apply(mapSet, tracked, [state.id, t]);
    const connect: PageEvent = withoutPrototype({
      k: 'connect' as const,
      socketId: state.id,
      url: state.url,
      protocols: own.ownArray<string>(),
      frameUrl: apply(locationHref, location, []) as string,
      time: record.now(),
    });
    batch.enqueue(connect);
    react(
      apply(s.streamOpened, stream, []),
      (info) => {
        if (hook.active) {
          batch.enqueue(withoutPrototype({
            k: 'open' as const,
            socketId: state.id,
            seq: ++state.seq,
            time: record.now(),
            protocol: StringCtor(ownValue(info, 'protocol') ?? ''),
            extensions: StringCtor(ownValue(info, 'extensions') ?? ''),
          }));
        }
        try {
          replace(info as object, 'readable', (native) => tapReadable(t, native));
          replace(info as object, 'writable', (native) => tapWritable(t, native));
        } catch {
          // leave the native streams: the page keeps working, unrecorded
        }
      },
      () => {
        t.errored = true;
        if (hook.active) record.recordError(state);
      },
    );
    react(
      apply(s.streamClosed, stream, []),
      (info) => {
        t.closed = true;
        apply(mapDelete, tracked, [state.id]);
        const code = ownValue(info, 'closeCode');
        record.recordClose(state, typeof code === 'number' ? code : 1005, StringCtor(ownValue(info, 'reason') ?? ''), true);
      },
      (error) => {
        t.closed = true;
        apply(mapDelete, tracked, [state.id]);
        let code: unknown;
        let reason: unknown = '';
        try {
          if (s.errorCloseCode !== undefined) code = apply(s.errorCloseCode, error, []);
          if (s.errorReason !== undefined) reason = apply(s.errorReason, error, []);
        } catch {
          // not a WebSocketError (an abort)
        }
        if (!t.errored && hook.active) record.recordError(state);
        t.errored = true;
        record.recordClose(state, typeof code === 'number' ? code : 1006, StringCtor(reason ?? ''), false);
      },
    );
  }

  function runCommand(t: Tracked, command: Extract<PageCommand, { kind: 'send' | 'simulate-receive' | 'close' }>): void {
    if (t.closed) throw new Error('The connection is closed.');
    if (command.kind === 'close') {
      const options = withoutPrototype({ closeCode: command.code, reason: command.reason });
      apply(s.streamClose, t.stream, command.code === undefined ? [] : [options]);
      return;
    }
    if (t.errored) throw new Error('The connection failed.');
    if (command.kind === 'send') {
      if (t.writer === undefined) throw new Error('The connection is still opening.');
      const written = apply(s.write, t.writer, [command.data]);
      react(written, nothing, nothing);
      recordData(t.state, 'send', typeof command.data === 'string' ? command.data : copyBuffer(command.data, 0, command.data.byteLength), 'inspector');
      return;
    }
    if (t.reads === undefined) throw new Error('The connection is not open yet, or the page never took its readable stream.');
    if (t.readDone) throw new Error('Not available for this WebSocketStream connection: the page\'s readable stream is closed or cancelled.');
    const data = command.data;
    recordData(t.state, 'receive', typeof data === 'string' ? data : copyBuffer(data, 0, data.byteLength), 'simulated');
    apply(s.enqueue, t.reads, [data]);
  }

  const handler: ProxyHandler<AnyFn> = withoutPrototype({
    construct(target: AnyFn, args: unknown[], newTarget: AnyFn) {
      let stream: object;
      try {
        stream = construct(target, args, newTarget) as object;
      } catch (error) {
        throw answers.asNative(error, handler.construct as AnyFn);
      }
      try {
        if (hook.active) watch(stream);
      } catch {
        // Never let our bookkeeping break the page's stream.
      }
      return stream;
    },
    setPrototypeOf: (target: AnyFn, proto: object | null) => answers.setPrototypeOf(target, proto),
  });
  const proxy = new ProxyCtor(s.StreamCtor, handler);
  answers.register(proxy, s.StreamCtor);
  return withoutPrototype({ proxy, onRelayMessage });
}
