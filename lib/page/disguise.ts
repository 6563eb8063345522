/**
 * What hides the hook: `Function.prototype.toString` becomes a Proxy that answers for our proxies with the native
 * source text ("function WebSocket() { [native code] }"), including for itself; the wrappers are installed
 * keeping every property's attributes, and `WebSocket.prototype.constructor` points at the constructor proxy so
 * `ws.constructor === WebSocket` still holds. The toString proxy also answers a probe no native toString would:
 * the double-install guard.
 */
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';
import type { SocketWrappers } from './socket-wrappers';

export const PROBE = 'websocket-inspector:installed?';

/** True when a hook (ours, from another copy of this script) is already installed in the window. */
export function alreadyInstalled(natives: Natives): boolean {
  const { apply, fnToString, NativeWebSocket } = natives;
  try {
    return apply(fnToString, NativeWebSocket, [PROBE]) === PROBE;
  } catch {
    return false; // a page-modified toString that throws: carry on
  }
}

/** Puts the wrappers and the toString proxy in place of the natives; returns the toString proxy. */
export function installDisguised(natives: Natives, own: OwnObjects, wrappers: SocketWrappers): typeof Function.prototype.toString {
  const { apply, win, ProxyCtor, WeakMapCtor, wmGet, wmSet, fnToString, FunctionProto, NativeWebSocket, WsProto, nativeSend, defineProperty, getOwnPropertyDescriptor } = natives;
  const { withoutPrototype } = own;
  const { WebSocketProxy, sendProxy } = wrappers;

  const proxies = new WeakMapCtor<object, object>(); // our proxy → the native it stands for (for toString)
  const toStringProxy = new ProxyCtor(fnToString, withoutPrototype({
    apply(target, thisArg, args) {
      if (args[0] === PROBE && (thisArg === WebSocketProxy || thisArg === NativeWebSocket)) return PROBE;
      const original = thisArg !== null && (typeof thisArg === 'function' || typeof thisArg === 'object')
        ? (apply(wmGet, proxies, [thisArg]) as object | undefined)
        : undefined;
      return apply(target, original === undefined ? thisArg : original, args);
    },
  }));
  apply(wmSet, proxies, [WebSocketProxy, NativeWebSocket]);
  apply(wmSet, proxies, [sendProxy, nativeSend]);
  apply(wmSet, proxies, [toStringProxy, fnToString]);

  // Install, keeping every property's attributes.
  function replaceValue(obj: object, key: string, value: unknown): void {
    const d = getOwnPropertyDescriptor(obj, key);
    if (!d) return;
    defineProperty(obj, key, withoutPrototype({ value, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable }));
  }
  replaceValue(FunctionProto, 'toString', toStringProxy);
  replaceValue(WsProto, 'send', sendProxy);
  replaceValue(WsProto, 'constructor', WebSocketProxy);
  replaceValue(win, 'WebSocket', WebSocketProxy);
  return toStringProxy;
}
