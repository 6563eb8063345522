/**
 * The page's WebSocket and send, wrapped without a trace: `window.WebSocket` becomes a Proxy of the native
 * constructor with only a `construct` trap, so `name`, `length`, statics, `prototype`, `instanceof`, subclassing
 * and calls without `new` all reach the native; `send` is a Proxy of the native `send` with only an `apply` trap.
 * (disguise.ts installs them and answers Function.prototype.toString for them.)
 */
import type { Holds } from './holds';
import type { AnyFn, Natives } from './natives';
import type { OwnObjects } from './own-objects';
import type { BinaryReader } from './binary';
import type { ConvertArguments } from './constructor-arguments';
import type { ForeignSends } from './foreign-sends';
import type { NativeAnswers } from './native-answers';
import type { Recorder } from './recorder';
import type { Watch } from './socket-events';
import type { HookState, SocketRegistry } from './socket-state';

export interface SocketWrappers {
  /** Stands for the native WebSocket constructor. */
  WebSocketProxy: typeof WebSocket;
  /** Stands for the native WebSocket.prototype.send. */
  sendProxy: WebSocket['send'];
}

export function socketWrappers(
  natives: Natives,
  own: OwnObjects,
  binary: BinaryReader,
  record: Recorder,
  intercept: Holds,
  hook: HookState,
  registry: SocketRegistry,
  convertArguments: ConvertArguments,
  watch: Watch,
  answers: NativeAnswers,
  foreign: ForeignSends,
): SocketWrappers {
  const { apply, construct, ProxyCtor, NativeWebSocket, nativeSend, isView, StringCtor, wsReadyState } = natives;
  const { withoutPrototype } = own;
  const { isArrayBuffer, isBlob, snapshotBinary } = binary;
  const { recordFrame, recordBinaryRow, now } = record;
  const { interceptSend } = intercept;
  const { stateOf } = registry;

  const { asNative } = answers;

  // Errors come out as the browser's own (no frame of ours in their stack): see native-answers.ts.
  const constructHandler: ProxyHandler<typeof WebSocket> = withoutPrototype({
    construct(target, args, newTarget) {
      let ws: WebSocket;
      let protocols: string[];
      try {
        const call = convertArguments(args, target as typeof WebSocket, newTarget as AnyFn);
        protocols = call.protocols;
        ws = construct(target, call.args, newTarget) as WebSocket;
      } catch (error) {
        throw asNative(error, constructHandler.construct as AnyFn);
      }
      try {
        if (hook.active) {
          watch(ws, protocols);
          foreign.listen(ws);
        }
      } catch {
        // Never let our bookkeeping break the page's socket.
      }
      return ws;
    },
    setPrototypeOf: (target, proto) => answers.setPrototypeOf(target, proto),
  });
  const WebSocketProxy = new ProxyCtor(NativeWebSocket, constructHandler);

  const sendHandler: ProxyHandler<WebSocket['send']> = withoutPrototype({
    apply(target, thisArg, args) {
      const state = hook.active ? stateOf(thisArg) : undefined;
      if (state === undefined || args.length === 0) {
        // A socket of another realm (another frame's send called on it: foreign-sends.ts).
        if (state === undefined && hook.active) return foreign.send(target as AnyFn, thisArg, args, sendHandler.apply as AnyFn);
        try {
          return apply(target, thisArg, args);
        } catch (error) {
          throw asNative(error, sendHandler.apply as AnyFn);
        }
      }
      let data = args[0] as unknown;
      const type = typeof data;
      if (type === 'string') {
        // the common case: nothing to convert
      } else if ((type === 'object' && data !== null && !isView(data) && !isArrayBuffer(data as object) && !isBlob(data as object)) || type === 'function') {
        // Convert to a string once, here, as the browser would (ToString, hint string), and hand the browser
        // that string: page code in a toString runs once, as it would without us.
        data = StringCtor(data);
        args[0] = data;
      } else if (type !== 'object' && type !== 'symbol') {
        data = StringCtor(data); // primitives: converting again has no side effect
      }
      const readyState = apply(wsReadyState, thisArg, []) as number;
      if (readyState === 1 && (hook.rules.length > 0 || state.sendHold !== undefined) && (type === 'string' || type === 'object')) {
        const snapshot = typeof data === 'string' ? data : snapshotBinary(data as object);
        if (snapshot !== undefined) {
          interceptSend(thisArg as WebSocket, state, data as string | ArrayBuffer | Blob, snapshot);
          return undefined;
        }
      }
      // The time the page asked to send, taken before the browser sends: the network may deliver the frame (and
      // its answer come back) while this thread is held up after the native call (a reply once measured 5 ms
      // sooner than the server's own 20 ms delay on a busy CI machine), so a latency is never shorter than the real one.
      const time = now();
      let result: unknown;
      try {
        result = apply(target, thisArg, args);
      } catch (error) {
        const snapshot = typeof data === 'string' ? data : typeof data === 'object' ? snapshotBinary(data as object) : undefined;
        let note = 'refused';
        try {
          note = StringCtor((error as { message?: unknown }).message);
        } catch {
          // keep the generic note
        }
        if (snapshot !== undefined) recordFrame(state, 'send', snapshot, 'page', 'refused', note, undefined, undefined, time);
        throw asNative(error, sendHandler.apply as AnyFn);
      }
      const status = readyState === 1 ? 'sent' : 'dropped';
      if (typeof data === 'string') recordFrame(state, 'send', data, 'page', status, undefined, undefined, undefined, time);
      else if (!recordBinaryRow(state, 'send', data as object, 'page', status, time)) {
        const snapshot = snapshotBinary(data as object);
        if (snapshot !== undefined) recordFrame(state, 'send', snapshot, 'page', status, undefined, undefined, undefined, time);
      }
      return result;
    },
    setPrototypeOf: (target, proto) => answers.setPrototypeOf(target, proto),
  });
  const sendProxy = new ProxyCtor(nativeSend, sendHandler);
  answers.register(WebSocketProxy, NativeWebSocket);
  answers.register(sendProxy, nativeSend);

  return withoutPrototype({ WebSocketProxy, sendProxy });
}
