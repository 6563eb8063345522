/**
 * Intercept rules, breakpoints and holds: what happens to one frame when rules are set (send, replace, block or
 * hold it), and how a held frame is released (forwarded, edited, dropped, timed out, or its socket closed) with
 * what queued behind it on the same socket and direction.
 */
import type { Direction } from '../shared/protocol';
import { decide, type MatcherNatives } from '../shared/intercept-rules';
import type { Batch } from './batch';
import type { BinaryReader } from './binary';
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';
import type { Recorder } from './recorder';
import type { Hold, HookState, Queued, SocketState } from './socket-state';

export interface Holds {
  /** Sends (or holds, or blocks) one outgoing frame on an OPEN socket according to the rules. */
  interceptSend(ws: WebSocket, state: SocketState, data: string | ArrayBuffer | Blob, snapshot: string | ArrayBuffer | Blob): void;
  /** Decides what the page's listeners get for one received frame; false when our listener must stop the event. */
  interceptReceive(ws: WebSocket, state: SocketState, data: string | ArrayBuffer | Blob, snapshot: string | ArrayBuffer | Blob): boolean;
  /** Delivers a message to the page's listeners (isTrusted is false: only the browser makes trusted events). */
  deliver(ws: WebSocket, data: string | ArrayBuffer | Blob): void;
  /** Ends a hold: forwards (possibly edited) or drops the held frame, then lets what queued behind it through. */
  release(holdId: string, action: 'forward' | 'drop', edited: string | ArrayBuffer | undefined, why?: 'timeout' | 'closed'): boolean;
  /** Ids of the frames held now. */
  heldIds(): string[];
}

export function holds(natives: Natives, own: OwnObjects, binary: BinaryReader, batch: Batch, record: Recorder, hook: HookState): Holds {
  const {
    apply, win, MapCtor, mapGet, mapSet, mapDelete, mapForEach, setTimeoutFn, clearTimeoutFn, regexpExec, regexpReplace,
    URLCtor, urlOrigin, wsUrl, wsReadyState, wsBinaryType, nativeSend, dispatchEvent, MessageEventCtor, CloseEventCtor, EventCtor,
    BlobCtor, abByteLength,
  } = natives;
  const { withoutPrototype, ownArray, ownSequence } = own;
  const { copyBuffer } = binary;
  const { now, recordFrame, recordError, recordClose } = record;

  let holdCounter = 0;
  const held = new MapCtor<string, { ws: WebSocket; state: SocketState; dir: Direction }>();
  const matcherNatives: MatcherNatives = withoutPrototype({
    exec: (re: RegExp, text: string) => apply(regexpExec, re, [text]) as RegExpExecArray | null,
    replace: (re: RegExp, text: string, replacement: string) => apply(regexpReplace, re, [text, replacement]) as string,
  });

  function textOf(snapshot: string | ArrayBuffer | Blob): string | undefined {
    return typeof snapshot === 'string' ? snapshot : undefined;
  }

  function startHold(ws: WebSocket, state: SocketState, dir: Direction, data: string | ArrayBuffer | Blob, snapshot: string | ArrayBuffer | Blob, rule: string): void {
    const holdId = state.id + ':h' + ++holdCounter;
    const hold: Hold = withoutPrototype({ holdId, dir, data, snapshot, rule, timer: undefined, queue: ownArray<Queued>() });
    if (dir === 'send') state.sendHold = hold;
    else state.receiveHold = hold;
    apply(mapSet, held, [holdId, withoutPrototype({ ws, state, dir })]);
    // A closed panel must never freeze the page: held frames go through unchanged after the timeout.
    hold.timer = apply(setTimeoutFn, win, [() => release(holdId, 'forward', undefined, 'timeout'), hook.holdTimeoutMs]);
    batch.postNotice(withoutPrototype({ kind: 'held' as const, holdId, connectionId: state.id, dir, data: snapshot, rule, time: now() }));
  }

  function interceptSend(ws: WebSocket, state: SocketState, data: string | ArrayBuffer | Blob, snapshot: string | ArrayBuffer | Blob): void {
    if (state.sendHold) {
      // Our snapshot is what goes out later: the page may change its buffer meanwhile.
      const q = state.sendHold.queue;
      q[q.length] = withoutPrototype({ k: 'send' as const, data: snapshot, snapshot });
      return;
    }
    const decision = hook.rules.length > 0 ? decide(hook.rules, 'send', state.url, textOf(snapshot), matcherNatives) : undefined;
    if (!decision) {
      apply(nativeSend, ws, [data]);
      recordFrame(state, 'send', snapshot, 'page', 'sent');
      return;
    }
    const { rule, replaced } = decision;
    if (rule.action === 'block') recordFrame(state, 'send', snapshot, 'page', 'blocked', 'blocked by a rule', rule.name);
    else if (rule.action === 'replace' && replaced !== undefined) {
      apply(nativeSend, ws, [replaced]);
      recordFrame(state, 'send', replaced, 'page', 'sent', undefined, rule.name, snapshot);
    } else startHold(ws, state, 'send', snapshot, snapshot, rule.name);
  }

  function deliver(ws: WebSocket, data: string | ArrayBuffer | Blob): void {
    const origin = apply(urlOrigin, new URLCtor(apply(wsUrl, ws, []) as string), []) as string;
    apply(dispatchEvent, ws, [new MessageEventCtor('message', withoutPrototype({ data, origin }))]);
  }

  function interceptReceive(ws: WebSocket, state: SocketState, data: string | ArrayBuffer | Blob, snapshot: string | ArrayBuffer | Blob): boolean {
    if (state.receiveHold) {
      const q = state.receiveHold.queue;
      q[q.length] = withoutPrototype({ k: 'message' as const, data, snapshot });
      return false;
    }
    const decision = hook.rules.length > 0 ? decide(hook.rules, 'receive', state.url, textOf(snapshot), matcherNatives) : undefined;
    if (!decision) {
      recordFrame(state, 'receive', snapshot, 'page', 'sent');
      return true;
    }
    const { rule, replaced } = decision;
    if (rule.action === 'block') recordFrame(state, 'receive', snapshot, 'page', 'blocked', 'blocked by a rule', rule.name);
    else if (rule.action === 'replace' && replaced !== undefined) {
      recordFrame(state, 'receive', replaced, 'page', 'sent', undefined, rule.name, snapshot);
      deliver(ws, replaced);
    } else startHold(ws, state, 'receive', data, snapshot, rule.name);
    return false;
  }

  function release(holdId: string, action: 'forward' | 'drop', edited: string | ArrayBuffer | undefined, why?: 'timeout' | 'closed'): boolean {
    const entry = apply(mapGet, held, [holdId]) as { ws: WebSocket; state: SocketState; dir: Direction } | undefined;
    if (!entry) return false;
    apply(mapDelete, held, [holdId]);
    const { ws, state, dir } = entry;
    const hold = dir === 'send' ? state.sendHold : state.receiveHold;
    if (!hold || hold.holdId !== holdId) return false;
    apply(clearTimeoutFn, win, [hold.timer]);
    if (dir === 'send') state.sendHold = undefined;
    else state.receiveHold = undefined;
    const open = (apply(wsReadyState, ws, []) as number) === 1;
    let outcome: 'forwarded' | 'edited' | 'dropped' | 'timeout' | 'closed' = why ?? (action === 'drop' ? 'dropped' : edited !== undefined ? 'edited' : 'forwarded');
    if (dir === 'send') {
      if (action === 'drop') recordFrame(state, 'send', hold.snapshot, 'page', 'blocked', 'dropped at a breakpoint', hold.rule);
      else if (!open) {
        recordFrame(state, 'send', hold.snapshot, 'page', 'dropped', 'the socket closed while the frame was held', hold.rule);
        outcome = 'closed';
      } else if (edited !== undefined) {
        apply(nativeSend, ws, [edited]);
        const copy = typeof edited === 'string' ? edited : copyBuffer(edited, 0, apply(abByteLength, edited, []) as number);
        recordFrame(state, 'send', copy, 'page', 'sent', 'edited at a breakpoint', hold.rule, hold.snapshot);
      } else {
        apply(nativeSend, ws, [hold.data]);
        recordFrame(state, 'send', hold.snapshot, 'page', 'sent', why === 'timeout' ? 'released after the hold timeout' : undefined, hold.rule);
      }
    } else if (action === 'drop') recordFrame(state, 'receive', hold.snapshot, 'page', 'blocked', 'dropped at a breakpoint', hold.rule);
    else if (edited !== undefined) {
      let data: string | ArrayBuffer | Blob = edited;
      if (typeof edited !== 'string' && apply(wsBinaryType, ws, []) === 'blob') data = new BlobCtor(ownSequence([edited]));
      const copy = typeof edited === 'string' ? edited : copyBuffer(edited, 0, apply(abByteLength, edited, []) as number);
      recordFrame(state, 'receive', copy, 'page', 'sent', 'edited at a breakpoint', hold.rule, hold.snapshot);
      deliver(ws, data);
    } else {
      recordFrame(state, 'receive', hold.snapshot, 'page', 'sent', why === 'timeout' ? 'released after the hold timeout' : undefined, hold.rule);
      deliver(ws, hold.data);
    }
    batch.postNotice(withoutPrototype({ kind: 'released' as const, holdId, connectionId: state.id, outcome }));
    drain(ws, state, hold.queue);
    return true;
  }

  /** Lets queued frames and events through in order, until one of them is held again. */
  function drain(ws: WebSocket, state: SocketState, queued: Queued[]): void {
    for (let i = 0; i < queued.length; i++) {
      const item = queued[i];
      const hold = item.k === 'send' ? state.sendHold : state.receiveHold;
      if (hold) {
        // Held again: the rest waits behind the new hold.
        for (let j = i; j < queued.length; j++) hold.queue[hold.queue.length] = queued[j];
        return;
      }
      if (item.k === 'send') {
        if ((apply(wsReadyState, ws, []) as number) === 1) interceptSend(ws, state, item.data, item.snapshot);
        else recordFrame(state, 'send', item.snapshot, 'page', 'dropped', 'the socket closed while the frame waited behind a held one');
      } else if (item.k === 'message') {
        if (interceptReceive(ws, state, item.data, item.snapshot)) deliver(ws, item.data);
      } else if (item.k === 'close') {
        recordClose(state, item.code, item.reason, item.wasClean);
        apply(dispatchEvent, ws, [new CloseEventCtor('close', withoutPrototype({ code: item.code, reason: item.reason, wasClean: item.wasClean }))]);
      } else {
        recordError(state);
        apply(dispatchEvent, ws, [new EventCtor('error')]);
      }
    }
  }

  function heldIds(): string[] {
    const ids: string[] = ownArray();
    apply(mapForEach, held, [(_v: unknown, id: string) => (ids[ids.length] = id)]);
    return ids;
  }

  return withoutPrototype({ interceptSend, interceptReceive, deliver, release, heldIds });
}
