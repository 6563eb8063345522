/**
 * The page hook: runs in the page's own JavaScript world (MAIN) before any page script, in every frame, and
 * records every WebSocket connection, open, frame, error and close without the page being able to tell.
 *
 * How it stays invisible:
 * - `window.WebSocket` becomes a Proxy of the native constructor with only a `construct` trap, so `name`,
 *   `length`, statics, `prototype`, `instanceof`, subclassing and calls without `new` all reach the native.
 *   `WebSocket.prototype.constructor` is pointed at the proxy so `ws.constructor === WebSocket` still holds.
 * - `send` is a Proxy of the native `send` with only an `apply` trap.
 * - `Function.prototype.toString` is a Proxy that answers for our proxies with the native source text
 *   ("function WebSocket() { [native code] }"), including for itself.
 * - Received frames, open, error and close are observed with native listeners added at construction, never
 *   re-dispatched: the page's events stay `isTrusted` and its listener order is untouched. Untrusted events
 *   (a page's own `dispatchEvent`) are not recorded as network traffic.
 * - Per-socket state lives in a WeakMap: sockets get no own properties.
 * - Every native we use is saved before page code runs, and called through a saved `Reflect.apply`, so a page
 *   that replaces `EventTarget.prototype.addEventListener`, `JSON`, `Array.prototype.push` or a getter cannot
 *   see or break us.
 * - Its own objects, arrays, and the records its modules pass each other have no prototype (own-objects.ts).
 *
 * - Errors thrown through its traps are the browser's own, with no frame of ours in their stack; a prototype cycle
 *   through its proxies is refused as the native refuses it (native-answers.ts).
 * - The port goes to the relay on `document`, never on window (hand-over.ts).
 *
 * Per frame it appends five numbers and the text or bytes to the batch (other events are small objects); the first
 * event after a quiet spell is posted at the end of its task, a burst's on a timer, and everything queued on
 * pagehide and freeze (leave.ts); buffers are transferred rather than cloned.
 *
 * The modules, each given the saved natives: natives (saved at install), own-objects (prototype-free objects),
 * binary (reading the page's bytes), batch and text-pieces (the outgoing batch), recorder (events into the
 * batch), socket-state (per-socket state, shared settings), holds (rules and breakpoints), socket-events (the
 * listeners), constructor-arguments and socket-wrappers (the WebSocket and send proxies), disguise (toString and
 * installing), native-answers (errors and prototype cycles), foreign-sends (a frame sent through another frame's
 * `send`), websocket-stream (WebSocketStream, where the browser has it), replay, commands (from the relay), hand-over (the
 * private port) and leave (the last words before the page goes). This file assembles them.
 */
import { binaryReader } from './binary';
import { outgoingBatch } from './batch';
import { commands } from './commands';
import { constructorArguments } from './constructor-arguments';
import { alreadyInstalled, installDisguised } from './disguise';
import { handOverPort, type HandOver } from './hand-over';
import { holds } from './holds';
import { nativeAnswers } from './native-answers';
import { saveNatives, saveStreamNatives } from './natives';
import { foreignSends } from './foreign-sends';
import { websocketStreams } from './websocket-stream';
import { ownObjects } from './own-objects';
import { recorder } from './recorder';
import { replays } from './replay';
import { socketEvents } from './socket-events';
import { leaveHandlers } from './leave';
import { hookState, socketRegistry } from './socket-state';
import { socketWrappers } from './socket-wrappers';

export interface PageHookHandle {
  /** Stop recording (the wrappers stay, as thin pass-throughs). */
  stop(): void;
  /** Events queued and not yet posted (for tests). */
  pendingCount(): number;
  /** Post queued events now. */
  flush(): void;
}

/**
 * Installs the hook on `win` (a window). Returns undefined when the window has no WebSocket or the hook is
 * already installed there.
 */
export function installPageHook(win: typeof globalThis): PageHookHandle | undefined {
  const NativeWebSocket = win.WebSocket;
  if (typeof NativeWebSocket !== 'function') return undefined;
  const natives = saveNatives(win, NativeWebSocket);
  if (alreadyInstalled(natives)) return undefined;

  const own = ownObjects(natives);
  const answers = nativeAnswers(natives, own);
  const binary = binaryReader(natives, own);
  const hook = hookState(own);
  const registry = socketRegistry(natives, own);
  const batch = outgoingBatch(natives, own, binary);
  const record = recorder(natives, own, binary, batch, hook, registry);
  const intercept = holds(natives, own, binary, batch, record, hook);
  const watch = socketEvents(natives, own, binary, batch, record, intercept, hook, registry);
  const foreign = foreignSends(natives, own, binary, record, hook, registry, answers);
  const wrappers = socketWrappers(natives, own, binary, record, intercept, hook, registry, constructorArguments(natives, own), watch, answers, foreign);
  const streamNatives = saveStreamNatives(win);
  const streams = websocketStreams(natives, streamNatives, own, binary, batch, record, hook, registry, answers);
  let installed = false; // the probe may only reach newDocument once handOver exists
  const streamInstall = streams.proxy !== undefined && streamNatives !== undefined ? own.withoutPrototype({ proxy: streams.proxy, proto: streamNatives.StreamProto }) : undefined;
  installDisguised(natives, own, wrappers, answers, newDocument, streamInstall);
  const replay = replays(natives, own, binary, batch, record, hook, registry, wrappers.WebSocketProxy);
  const relay = commands(natives, own, binary, batch, record, intercept, replay, hook, registry, stop);
  // Commands aimed at a WebSocketStream connection are the stream module's (websocket-stream.ts).
  const onRelayMessage = (event: MessageEvent): void => {
    if (!streams.onRelayMessage(event)) relay.onRelayMessage(event);
  };
  const handOver: HandOver = handOverPort(natives, own, onRelayMessage, batch.connect);
  installed = true;
  leaveHandlers(natives, batch);

  /**
   * Another copy of the hook runs in this window for a new document (a same-origin navigation reused the Window
   * whose first document had us): offer that document's relay a port of ours. Only for the window's current
   * document, and only once per document (disguise.ts).
   */
  function newDocument(doc: unknown): boolean {
    const { apply, win, documentGet } = natives;
    if (!installed || documentGet === undefined || doc === null || typeof doc !== 'object') return false;
    if (doc !== apply(documentGet, win, []) || doc === handOver.document()) return false;
    hook.active = true; // the new document's relay decides anew (it says stop if capture is off there)
    handOver.handOverTo(doc as EventTarget);
    return true;
  }

  function stop(): void {
    hook.active = false;
    batch.reset();
    hook.rules = [];
    // Nothing may stay held once nobody can release it.
    const pending = intercept.heldIds();
    for (let i = 0; i < pending.length; i++) intercept.release(pending[i], 'forward', undefined, 'timeout');
    handOver.stopWaiting();
  }

  return {
    stop,
    pendingCount: batch.eventCount,
    flush: batch.flush,
  };
}
