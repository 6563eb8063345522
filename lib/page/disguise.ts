/**
 * What hides the hook: `Function.prototype.toString` becomes a Proxy that answers for our proxies with the native
 * source text ("function WebSocket() { [native code] }"), including for itself; the wrappers are installed
 * keeping every property's attributes, and `WebSocket.prototype.constructor` points at the constructor proxy so
 * `ws.constructor === WebSocket` still holds.
 *
 * WebSocketStream, where the browser has it, is installed the same way (its proxy is websocket-stream.ts's).
 *
 * The double-install guard: a second copy of the hook in the same realm (a window whose initial about:blank
 * document had the hook, reused by a same-origin navigation) asks the first, through the toString proxy, to hand a
 * port to the new document. The first answers only for a document that is the window's current one and that it
 * has not offered a port on yet: on the page's own document (every document a page script can run in has had its
 * offer, at document_start) the call is the native toString's, so the guard is no fingerprint.
 */
import type { Natives } from './natives';
import type { NativeAnswers } from './native-answers';
import type { OwnObjects } from './own-objects';
import type { SocketWrappers } from './socket-wrappers';
import type { AnyFn } from './natives';

export const PROBE = 'websocket-inspector:installed?';

/**
 * True when a hook (ours, from another copy of this script) is already installed in the window and has handed a
 * port to the window's current document.
 */
export function alreadyInstalled(natives: Natives): boolean {
  const { apply, win, fnToString, NativeWebSocket, documentGet } = natives;
  if (documentGet === undefined) return false;
  try {
    return apply(fnToString, NativeWebSocket, [PROBE, apply(documentGet, win, [])]) === PROBE;
  } catch {
    return false; // a page-modified toString that throws: carry on
  }
}

/**
 * Puts the wrappers and the toString proxy in place of the natives; returns the toString proxy. `newDocument(doc)`
 * hands a port to `doc` and says true when it is a document that needs one (see alreadyInstalled).
 */
export function installDisguised(
  natives: Natives,
  own: OwnObjects,
  wrappers: SocketWrappers,
  answers: NativeAnswers,
  newDocument: (doc: unknown) => boolean,
  stream?: { proxy: object; proto: object },
): typeof Function.prototype.toString {
  const { apply, win, ProxyCtor, fnToString, FunctionProto, WsProto, defineProperty, getOwnPropertyDescriptor } = natives;
  const { withoutPrototype } = own;
  const { WebSocketProxy } = wrappers;
  const { standsFor, asNative } = answers;

  const handler: ProxyHandler<typeof Function.prototype.toString> = withoutPrototype({
    apply(target, thisArg, args) {
      if (thisArg === WebSocketProxy && args.length === 2 && args[0] === PROBE && newDocument(args[1])) return PROBE;
      const original = standsFor(thisArg);
      try {
        return apply(target, original === undefined ? thisArg : original, args);
      } catch (error) {
        throw asNative(error, handler.apply as AnyFn); // toString of a non-function
      }
    },
    setPrototypeOf: (target, proto) => answers.setPrototypeOf(target, proto),
  });
  const toStringProxy = new ProxyCtor(fnToString, handler);
  answers.register(toStringProxy, fnToString);

  // Install, keeping every property's attributes.
  function replaceValue(obj: object, key: string, value: unknown): void {
    const d = getOwnPropertyDescriptor(obj, key);
    if (!d) return;
    defineProperty(obj, key, withoutPrototype({ value, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable }));
  }
  replaceValue(FunctionProto, 'toString', toStringProxy);
  replaceValue(WsProto, 'send', wrappers.sendProxy);
  replaceValue(WsProto, 'constructor', WebSocketProxy);
  replaceValue(win, 'WebSocket', WebSocketProxy);
  if (stream !== undefined) {
    // WebSocketStream, as WebSocket (websocket-stream.ts).
    replaceValue(stream.proto, 'constructor', stream.proxy);
    replaceValue(win, 'WebSocketStream', stream.proxy);
  }
  return toStringProxy;
}
