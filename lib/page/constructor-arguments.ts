/**
 * The WebSocket constructor's arguments converted once, by us, as the native would (WebIDL: the url to a string,
 * then the protocols, a string or a sequence of strings from any iterable): the same calls into the page's objects,
 * in the same order. The native then gets strings and an ownSequence, which run no page code, and we know the
 * protocols it was asked for without reading the page's argument a second time. An error of the page's own code
 * propagates as it would; an error of the conversion itself comes from the native, given a stand-in that fails
 * the same way, so its message is the browser's.
 */
import { isObject, type AnyFn, type Natives } from './natives';
import type { OwnObjects } from './own-objects';

export interface ConvertedArguments {
  /** What to hand the native constructor. */
  args: unknown[];
  /** The subprotocols asked for, as strings. */
  protocols: string[];
}

export type ConvertArguments = (args: unknown[], target: typeof WebSocket, newTarget: AnyFn) => ConvertedArguments;

export function constructorArguments(natives: Natives, own: OwnObjects): ConvertArguments {
  const { apply, construct, StringCtor, TypeErrorCtor, iteratorSymbol, toPrimitiveSymbol, setPrototypeOf, getPrototypeOf } = natives;
  const { withoutPrototype, ownArray, ownSequence } = own;

  function convertArguments(args: unknown[], target: typeof WebSocket, newTarget: AnyFn): ConvertedArguments {
    const protocols: string[] = ownArray();
    const n = args.length;
    if (n === 0) return withoutPrototype({ args, protocols });
    const converted: unknown[] = ownArray();
    for (let i = 0; i < n; i++) converted[i] = args[i];
    const failAt =
      (slot: number) =>
      (standIn: unknown): never => {
        converted[slot] = standIn;
        construct(target, converted, newTarget);
        throw new TypeErrorCtor('Failed to construct WebSocket'); // not reached: the native threw
      };
    // The url first, whatever it is (a Symbol throws here, before the protocols are read), as the native does.
    if (isObject(converted[0]) || typeof converted[0] === 'symbol') converted[0] = stringOf(converted[0], failAt(0));
    if (n < 2 || converted[1] === undefined) return withoutPrototype({ args: converted, protocols });
    const value = converted[1];
    const fail = failAt(1);
    if (!isObject(value)) {
      if (typeof value !== 'symbol') protocols[0] = StringCtor(value);
      return withoutPrototype({ args: converted, protocols });
    }
    const method = (value as Record<symbol, unknown>)[iteratorSymbol];
    if (method === undefined || method === null) {
      protocols[0] = stringOf(value, fail);
      converted[1] = protocols[0];
      return withoutPrototype({ args: converted, protocols });
    }
    if (typeof method !== 'function') fail(withoutPrototype({ [iteratorSymbol]: method }));
    const iterator = apply(method as AnyFn, value, []);
    if (!isObject(iterator)) fail(withoutPrototype({ [iteratorSymbol]: () => iterator }));
    const next = (iterator as { next: unknown }).next;
    const failItem = (standIn: unknown): never => fail(ownSequence([standIn]));
    for (;;) {
      if (typeof next !== 'function') fail(withoutPrototype({ [iteratorSymbol]: () => withoutPrototype({ next }) }));
      const result = apply(next as AnyFn, iterator, []);
      if (!isObject(result)) fail(withoutPrototype({ [iteratorSymbol]: () => withoutPrototype({ next: () => result }) }));
      if ((result as { done: unknown }).done) break;
      protocols[protocols.length] = stringOf((result as { value: unknown }).value, failItem);
    }
    converted[1] = ownSequence(protocols);
    return withoutPrototype({ args: converted, protocols });
  }

  /**
   * ToString, as a WebIDL string conversion does it: ToPrimitive with the hint "string" (the value's
   * @@toPrimitive, else toString, then valueOf), then the primitive to a string. Where the conversion itself
   * fails, `fail` gets a stand-in that fails the same way.
   */
  function stringOf(value: unknown, fail: (standIn: unknown) => never): string {
    let primitive = value;
    if (isObject(value)) {
      const exotic = (value as Record<symbol, unknown>)[toPrimitiveSymbol];
      if (exotic !== undefined && exotic !== null) {
        // The browser's message names the object's class ("#<Object>"): the stand-in gets the same prototype.
        if (typeof exotic !== 'function') fail(setPrototypeOf({ [toPrimitiveSymbol]: exotic }, getPrototypeOf(value)));
        primitive = apply(exotic as AnyFn, value, ['string']);
        if (isObject(primitive)) fail(withoutPrototype({ [toPrimitiveSymbol]: () => primitive }));
      } else {
        let found = false;
        const toString = (value as { toString: unknown }).toString;
        if (typeof toString === 'function') {
          primitive = apply(toString as AnyFn, value, []);
          found = !isObject(primitive);
        }
        if (!found) {
          const valueOf = (value as { valueOf: unknown }).valueOf;
          if (typeof valueOf === 'function') {
            primitive = apply(valueOf as AnyFn, value, []);
            found = !isObject(primitive);
          }
        }
        if (!found) fail(withoutPrototype({}));
      }
    }
    if (typeof primitive === 'symbol') fail(primitive);
    return StringCtor(primitive);
  }

  return convertArguments;
}
