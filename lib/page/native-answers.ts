/**
 * What our proxies (WebSocket, send, Function.prototype.toString) answer where a bare Proxy would differ from the
 * native it stands for, and which proxy stands for which native:
 * - errors thrown through a trap: the browser's own error, its stack re-taken from the trap's caller down, so it
 *   names no frame of the hook's (no extension URL or id), with or without the page's Error.prepareStackTrace (the
 *   stack is still formatted lazily, on first read, as for any error);
 * - a prototype that would make a cycle: the native sees our proxies as the functions they stand for and refuses
 *   (Reflect.setPrototypeOf returns false); a bare Proxy let the cycle through, since the native's cycle check
 *   stops at a Proxy.
 */
import type { AnyFn, Natives } from './natives';
import type { OwnObjects } from './own-objects';

export interface NativeAnswers {
  /** Notes that our `proxy` stands for `native`. */
  register(proxy: object, native: object): void;
  /** The native one of our proxies stands for; undefined for anything else. */
  standsFor(value: unknown): object | undefined;
  /**
   * `error`, thrown by a native the trap `trap` (the handler's own method) called, for the trap to rethrow: its
   * stack re-taken from the trap's caller down. Anything but a real Error (Error.isError, which runs no Proxy trap)
   * is left as it is.
   */
  asNative(error: unknown, trap: AnyFn): unknown;
  /** The `setPrototypeOf` trap of a proxy of `target`. */
  setPrototypeOf(target: object, proto: object | null): boolean;
}

/** Steps of a prototype chain followed at most (a chain through the page's proxies could be endless). */
const MAX_CHAIN = 10_000;

export function nativeAnswers(natives: Natives, own: OwnObjects): NativeAnswers {
  const { apply, WeakMapCtor, wmGet, wmSet, ErrorCtor, captureStackTrace, isError, getPrototypeOf, reflectSetPrototypeOf } = natives;
  const proxies = new WeakMapCtor<object, object>(); // our proxy → the native it stands for

  function register(proxy: object, native: object): void {
    apply(wmSet, proxies, [proxy, native]);
  }

  function standsFor(value: unknown): object | undefined {
    return value !== null && (typeof value === 'function' || typeof value === 'object') ? (apply(wmGet, proxies, [value]) as object | undefined) : undefined;
  }

  function asNative(error: unknown, trap: AnyFn): unknown {
    if (captureStackTrace !== undefined && isError !== undefined && apply(isError, ErrorCtor, [error]) === true) {
      try {
        apply(captureStackTrace, ErrorCtor, [error, trap]);
      } catch {
        // a frozen error: leave it
      }
    }
    return error;
  }

  function setPrototypeOf(target: object, proto: object | null): boolean {
    let p: object | null = proto;
    for (let i = 0; p !== null && i < MAX_CHAIN; i++) {
      const real = standsFor(p) ?? p;
      if (real === target) return false;
      p = getPrototypeOf(real) as object | null;
    }
    return apply(reflectSetPrototypeOf, undefined, [target, proto]) as boolean;
  }

  return own.withoutPrototype({ register, standsFor, asNative, setPrototypeOf });
}
