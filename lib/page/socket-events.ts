/**
 * Watching a socket: its state, and native listeners added first, at construction, for open, message, error and
 * close. Received frames are observed, never re-dispatched: the page's events stay `isTrusted` and its listener
 * order is untouched. Untrusted events (a page's own `dispatchEvent`) are not recorded as network traffic.
 */
import type { PageEvent } from '../shared/protocol';
import type { Batch } from './batch';
import type { BinaryReader } from './binary';
import type { Holds } from './holds';
import { eventIsTrusted, type Natives } from './natives';
import type { OwnObjects } from './own-objects';
import type { Recorder } from './recorder';
import type { HookState, SocketRegistry } from './socket-state';

/** Starts recording a socket the page (or a replay) just made, asked for `protocols`. */
export type Watch = (ws: WebSocket, protocols: string[]) => void;

export function socketEvents(natives: Natives, own: OwnObjects, binary: BinaryReader, batch: Batch, record: Recorder, intercept: Holds, hook: HookState, registry: SocketRegistry): Watch {
  const { apply, addEventListener, stopImmediatePropagation, wsProtocol, wsExtensions, messageData, closeCode, closeReason, closeWasClean, locationHref, location } = natives;
  const { withoutPrototype } = own;
  const { snapshotBinary } = binary;
  const { enqueue } = batch;
  const { now, recordFrame, recordBinaryRow, recordError, recordClose } = record;
  const { interceptReceive, release } = intercept;
  const { stateOf } = registry;

  function onOpen(this: WebSocket, event: Event): void {
    const state = stateOf(this);
    if (!hook.active || !state || !eventIsTrusted(event)) return;
    enqueue({
      k: 'open',
      socketId: state.id,
      seq: ++state.seq,
      time: now(),
      protocol: apply(wsProtocol, this, []) as string,
      extensions: apply(wsExtensions, this, []) as string,
    });
  }
  function onMessage(this: WebSocket, event: Event): void {
    const state = stateOf(this);
    if (!hook.active || !state || !eventIsTrusted(event)) return;
    const data = apply(messageData, event, []) as string | ArrayBuffer | Blob;
    // The common binary case: no rules, holds or replay waiting, so the bytes go straight into the batch.
    if (typeof data === 'object' && data !== null && hook.rules.length === 0 && state.receiveHold === undefined && state.replyWaiter === undefined) {
      if (recordBinaryRow(state, 'receive', data, 'page', 'sent')) return;
    }
    const snapshot = typeof data === 'string' ? data : data !== null && typeof data === 'object' ? snapshotBinary(data) : undefined;
    if (snapshot === undefined) return;
    if (hook.rules.length === 0 && state.receiveHold === undefined) recordFrame(state, 'receive', snapshot, 'page', 'sent');
    else if (!interceptReceive(this, state, data, snapshot)) apply(stopImmediatePropagation, event, []);
    const waiter = state.replyWaiter;
    if (waiter !== undefined) waiter(snapshot);
  }
  function onError(this: WebSocket, event: Event): void {
    const state = stateOf(this);
    if (!hook.active || !state || !eventIsTrusted(event)) return;
    if (state.receiveHold) {
      // Keep the page's order: the error follows the frames held before it.
      apply(stopImmediatePropagation, event, []);
      const q = state.receiveHold.queue;
      q[q.length] = withoutPrototype({ k: 'error' as const });
      return;
    }
    recordError(state);
  }
  function onClose(this: WebSocket, event: Event): void {
    const state = stateOf(this);
    if (!state || !eventIsTrusted(event)) return;
    const code = apply(closeCode, event, []) as number;
    const reason = apply(closeReason, event, []) as string;
    const wasClean = apply(closeWasClean, event, []) as boolean;
    if (state.sendHold) release(state.sendHold.holdId, 'forward', undefined, 'closed');
    if (state.receiveHold) {
      apply(stopImmediatePropagation, event, []);
      const q = state.receiveHold.queue;
      q[q.length] = withoutPrototype({ k: 'close' as const, code, reason, wasClean });
      return;
    }
    recordClose(state, code, reason, wasClean);
  }

  return function watch(ws: WebSocket, protocols: string[]): void {
    const state = registry.register(ws);
    apply(addEventListener, ws, ['open', onOpen]);
    apply(addEventListener, ws, ['message', onMessage]);
    apply(addEventListener, ws, ['error', onError]);
    apply(addEventListener, ws, ['close', onClose]);
    const event: PageEvent = withoutPrototype({
      k: 'connect',
      socketId: state.id,
      url: state.url,
      protocols,
      frameUrl: apply(locationHref, location, []) as string,
      time: now(),
    });
    if (hook.nextInitiator !== undefined) event.initiator = hook.nextInitiator;
    enqueue(event);
  };
}
