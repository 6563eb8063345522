/**
 * A frame sent through another realm's `send`: `iframe.contentWindow.WebSocket.prototype.send.call(ws, x)` (or the
 * top's send on an iframe's socket). Each frame's hook keeps its sockets in its own WeakMap, so the send proxy
 * that runs does not know the socket; the hook that does (the socket's own realm's) must record it, in its own
 * frame's capture. Only same-origin realms can do this (cross-origin access throws), and they share nothing a page
 * cannot see, so the two hooks meet on the socket itself:
 *
 * - The sending realm's hook sends as the native would (its own realm's native `send`: the page gets the same
 *   result and the same errors, of the same realm), then dispatches one untrusted event of type FOREIGN_SEND_TYPE
 *   at the socket, carrying what it sent.
 * - The owning hook listens for that type on every socket it watches, added at construction, before any page
 *   listener can be: it stops the event (no page listener sees it) and records the frame. It accepts only an event
 *   whose `data` is a native `WebSocket.prototype.send` function (checked with the saved native toString, which
 *   runs no page code, not even a Proxy's traps): a hook replaces `send` in its realm before any page script runs,
 *   so no page code in a realm with the hook can hold one, and a page's own event of that type goes on to its
 *   listeners as it would without us.
 *
 * No registry, global or property is added anywhere. What stays: a socket no hook watches (made where the hook is
 * not installed or was stopped) lets a page listener of exactly this type see the request.
 */
import type { FrameStatus } from '../shared/protocol';
import type { BinaryReader } from './binary';
import type { NativeAnswers } from './native-answers';
import { eventIsTrusted, type AnyFn, type Natives } from './natives';
import type { OwnObjects } from './own-objects';
import type { Recorder } from './recorder';
import type { HookState, SocketRegistry } from './socket-state';

/** The event type of a request (never dispatched by the browser). */
export const FOREIGN_SEND_TYPE = 'websocket-inspector:foreign-send';
/** The own property of the request event that carries what was sent. */
const RECORD_KEY = 'websocket-inspector:sent';

interface SentRecord {
  data: string | ArrayBuffer | Blob;
  status: FrameStatus;
  note: string | undefined;
}

export interface ForeignSends {
  /** The send trap's path for a `this` this hook does not know: sends natively and tells the owning hook. */
  send(target: AnyFn, thisArg: unknown, args: unknown[], trap: AnyFn): unknown;
  /** Listens on a socket this hook watches for sends made through another realm's `send`. */
  listen(ws: WebSocket): void;
}

export function foreignSends(natives: Natives, own: OwnObjects, binary: BinaryReader, record: Recorder, hook: HookState, registry: SocketRegistry, answers: NativeAnswers): ForeignSends {
  const {
    apply, addEventListener, dispatchEvent, stopImmediatePropagation, MessageEventCtor, messageData, fnToString, nativeSend, defineProperty,
    getOwnPropertyDescriptor, wsReadyState, isView, StringCtor,
  } = natives;
  const { withoutPrototype } = own;
  const { isArrayBuffer, isBlob, snapshotBinary } = binary;
  const sendSource = apply(fnToString, nativeSend, []) as string;

  function tell(ws: object, data: string | ArrayBuffer | Blob | undefined, status: FrameStatus, note?: string): void {
    if (data === undefined) return;
    try {
      const event = new MessageEventCtor(FOREIGN_SEND_TYPE, withoutPrototype({ data: nativeSend }));
      const sent: SentRecord = withoutPrototype({ data, status, note });
      defineProperty(event, RECORD_KEY, withoutPrototype({ value: sent }));
      apply(dispatchEvent, ws, [event]);
    } catch {
      // never break the page's send
    }
  }

  function send(target: AnyFn, thisArg: unknown, args: unknown[], trap: AnyFn): unknown {
    let readyState: number | undefined;
    if (hook.active && args.length > 0 && thisArg !== null && typeof thisArg === 'object') {
      try {
        readyState = apply(wsReadyState, thisArg, []) as number; // a WebSocket of any realm, else it throws
      } catch {
        readyState = undefined;
      }
    }
    if (readyState === undefined) {
      try {
        return apply(target, thisArg, args);
      } catch (error) {
        throw answers.asNative(error, trap);
      }
    }
    // Converted once, as the send trap does: page code in a toString runs once, as it would without us.
    let data = args[0];
    const type = typeof data;
    if ((type === 'object' && data !== null && !isView(data) && !isArrayBuffer(data as object) && !isBlob(data as object)) || type === 'function') {
      data = StringCtor(data);
      args[0] = data;
    } else if (type !== 'object' && type !== 'symbol' && type !== 'string') data = StringCtor(data);
    const snapshot = (): string | ArrayBuffer | Blob | undefined =>
      typeof data === 'string' ? data : typeof data === 'object' && data !== null ? snapshotBinary(data) : undefined;
    let result: unknown;
    try {
      result = apply(target, thisArg, args);
    } catch (error) {
      let note = 'refused';
      try {
        note = StringCtor((error as { message?: unknown }).message);
      } catch {
        // keep the generic note
      }
      tell(thisArg as object, snapshot(), 'refused', note);
      throw answers.asNative(error, trap);
    }
    tell(thisArg as object, snapshot(), readyState === 1 ? 'sent' : 'dropped');
    return result;
  }

  function onRequest(this: WebSocket, event: Event): void {
    if (eventIsTrusted(event)) return;
    let proof: unknown;
    try {
      proof = apply(messageData, event, []);
    } catch {
      return; // not a MessageEvent
    }
    if (typeof proof !== 'function' || (apply(fnToString, proof, []) as string) !== sendSource) return;
    apply(stopImmediatePropagation, event, []);
    const d = getOwnPropertyDescriptor(event, RECORD_KEY);
    const sent = d?.value as SentRecord | undefined;
    const state = registry.stateOf(this);
    if (!hook.active || sent === undefined || state === undefined) return;
    record.recordFrame(state, 'send', sent.data, 'page', sent.status, sent.note);
  }

  function listen(ws: WebSocket): void {
    apply(addEventListener, ws, [FOREIGN_SEND_TYPE, onRequest]);
  }

  return withoutPrototype({ send, listen });
}
