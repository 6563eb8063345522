/**
 * What the hook knows about each socket, and the few settings every part of it reads: the state lives in a
 * WeakMap keyed by the socket (sockets get no own properties) and, by id, as a WeakRef for the panel's commands.
 */
import type { CompiledRule, ConnectionInitiator, Direction } from '../shared/protocol';
import { DEFAULT_HOLD_TIMEOUT_MS } from '../shared/intercept-rules';
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';

/** A frame held at a breakpoint, and what arrived behind it on the same socket and direction. */
export interface Hold {
  holdId: string;
  dir: Direction;
  /** For sends: the data to send; for receives: the event data to re-deliver. */
  data: string | ArrayBuffer | Blob;
  /** Our recorded copy of it. */
  snapshot: string | ArrayBuffer | Blob;
  rule: string;
  timer: unknown;
  queue: Queued[];
}
export type Queued =
  | { k: 'send'; data: string | ArrayBuffer | Blob; snapshot: string | ArrayBuffer | Blob }
  | { k: 'message'; data: string | ArrayBuffer | Blob; snapshot: string | ArrayBuffer | Blob }
  | { k: 'close'; code: number; reason: string; wasClean: boolean }
  | { k: 'error' };

export interface SocketState {
  id: string;
  seq: number;
  /** This socket's index in the `ids` of the batch numbered `batchNumber` (saves a Map lookup per frame). */
  batchNumber: number;
  batchIndex: number;
  url: string;
  sendHold?: Hold;
  receiveHold?: Hold;
  /** A replay waiting for a matching reply before its next step. */
  replyWaiter?: (data: unknown) => void;
}

/** Settings and switches read by every part of the hook (one record with no prototype, every member own). */
export interface HookState {
  /** False once the relay said stop: the wrappers stay, as thin pass-throughs. */
  active: boolean;
  /** Compiled intercept rules; empty in the common case, which costs one length check per frame. */
  rules: CompiledRule[];
  holdTimeoutMs: number;
  /** Set while the hook itself opens a replay connection, so the construct trap labels it. */
  nextInitiator: ConnectionInitiator | undefined;
}

export function hookState(own: OwnObjects): HookState {
  return own.withoutPrototype({ active: true, rules: [], holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS, nextInitiator: undefined });
}

export interface SocketRegistry {
  /** The state of a socket we track, else undefined (for anything, including the page's own objects). */
  stateOf(ws: unknown): SocketState | undefined;
  /** A live socket by its id, while the page holds it. */
  socketById(id: string): WebSocket | undefined;
  /** Gives a new socket an id and a state. */
  register(ws: WebSocket): SocketState;
  /** An id and a state for a connection that is not a WebSocket (a WebSocketStream: websocket-stream.ts keeps it). */
  newState(url: string): SocketState;
  /** The socket closed: commands can no longer reach it. */
  forget(id: string): void;
}

export function socketRegistry(natives: Natives, own: OwnObjects): SocketRegistry {
  const { apply, WeakMapCtor, MapCtor, WeakRefCtor, wmGet, wmSet, mapGet, mapSet, mapDelete, wrDeref, numberToString, MathRandom, MathRef, stringSlice, timeOrigin, wsUrl } = natives;
  const sockets = new WeakMapCtor<object, SocketState>();
  const liveSockets = new MapCtor<string, WeakRef<WebSocket>>();
  const random36 = apply(numberToString, apply(MathRandom, MathRef, []) as number, [36]) as string;
  const pagePrefix = (apply(stringSlice, random36, [2, 10]) as string) + '-' + apply(numberToString, timeOrigin | 0, [36]);
  let socketCounter = 0;

  const stateOf = (ws: unknown): SocketState | undefined =>
    ws !== null && (typeof ws === 'object' || typeof ws === 'function')
      ? (apply(wmGet, sockets, [ws]) as SocketState | undefined)
      : undefined;

  function socketById(id: string): WebSocket | undefined {
    const ref = apply(mapGet, liveSockets, [id]) as WeakRef<WebSocket> | undefined;
    return ref ? (apply(wrDeref, ref, []) as WebSocket | undefined) : undefined;
  }

  function newState(url: string): SocketState {
    const id = pagePrefix + '-' + ++socketCounter;
    return own.withoutPrototype({ id, seq: 0, url, batchNumber: 0, batchIndex: 0, sendHold: undefined, receiveHold: undefined, replyWaiter: undefined });
  }

  function register(ws: WebSocket): SocketState {
    const state = newState(apply(wsUrl, ws, []) as string);
    const id = state.id;
    apply(wmSet, sockets, [ws, state]);
    apply(mapSet, liveSockets, [id, new WeakRefCtor(ws)]);
    return state;
  }

  function forget(id: string): void {
    apply(mapDelete, liveSockets, [id]);
  }

  return own.withoutPrototype({ stateOf, socketById, register, newState, forget });
}
