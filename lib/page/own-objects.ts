/**
 * Objects and arrays of the hook's own that the page cannot reach into. The hook runs in the page's realm: an
 * object literal inherits the page's Object.prototype, an array the page's Array.prototype, so reading a member
 * or index we left out (or writing past an array's end) would run an accessor the page put there. Everything the
 * hook makes, and every record its modules pass each other, is made with these.
 */
import type { Natives } from './natives';

export interface OwnObjects {
  /**
   * `members` with no prototype, for a dictionary or a Proxy handler given to a native: members we leave out are
   * otherwise looked up on the page's Object.prototype, where a getter (or a `get` the page put there, for a
   * handler's missing trap) would see, or change, what we do.
   */
  withoutPrototype<T extends object>(members: T): T;
  /**
   * An empty array of ours with no prototype. Writing past an array's end, or reading a missing index, is looked
   * up on its prototype, where an index accessor the page put on Array.prototype would run. So no method can be
   * called on it: the hook uses captured natives through `apply`, and `length`.
   */
  ownArray<T>(): T[];
  /**
   * `items` for a native that takes a WebIDL sequence (a transfer list, Blob parts, ports), as an iterable of own
   * properties only: an array would be iterated through Array.prototype[Symbol.iterator] and the iterator's `next`
   * (Firefox does), which the page may have replaced and would see called.
   */
  ownSequence<T>(items: T[]): T[];
  /**
   * What the relay posts arrives as the page's plain objects and arrays, so an optional member we read where it
   * is absent (a command's `code`, a rule's `url`) would be looked up on the page's prototypes. Takes the
   * prototype off every plain object and array in `value`; leaves everything else (buffers, RegExps) as it is.
   */
  withoutPrototypes(value: unknown): void;
}

export function ownObjects(natives: Natives): OwnObjects {
  const { setPrototypeOf, getPrototypeOf, ownKeys, ObjectProto, ArrayProto, iteratorSymbol } = natives;

  function withoutPrototype<T extends object>(members: T): T {
    setPrototypeOf(members, null);
    return members;
  }
  function ownArray<T>(): T[] {
    return withoutPrototype([] as T[]);
  }
  function ownSequence<T>(items: T[]): T[] {
    let i = 0;
    // No prototype either: a native that stops early looks up the iterator's `return`.
    const iterator = withoutPrototype({ next: () => (i < items.length ? { done: false, value: items[i++] } : { done: true, value: undefined }) });
    return { [iteratorSymbol]: () => iterator } as unknown as T[]; // typed as the natives want it
  }
  function withoutPrototypes(value: unknown, depth = 0): void {
    if (typeof value !== 'object' || value === null || depth > 32) return;
    const proto = getPrototypeOf(value);
    if (proto !== ObjectProto && proto !== ArrayProto) return;
    setPrototypeOf(value, null);
    const keys = ownKeys(value);
    for (let i = 0; i < keys.length; i++) withoutPrototypes((value as Record<PropertyKey, unknown>)[keys[i]], depth + 1);
  }
  return withoutPrototype({ withoutPrototype, ownArray, ownSequence, withoutPrototypes });
}
