/**
 * The WebSocket constructor's arguments in every shape a page can give them (objects with toString, any iterable,
 * Proxies, sparse arrays, accessors, and every way a conversion can fail), for the invisibility specs: run with
 * and without the extension, the two results must be equal. The page needs `window.errorOf` (PAGE_HELPERS in
 * invisibility-probes.ts) and CONSTRUCTOR_ARGUMENTS_PAGE.
 */

/** Page script: a log, and an accessor at Array.prototype[1] that a hole or a missing argument would reach. */
export const CONSTRUCTOR_ARGUMENTS_PAGE = `
  window.log = [];
  Object.defineProperty(Array.prototype, '1', { configurable: true,
    get() { window.log.push('Array.prototype[1]'); return 'from-proto'; },
    set(v) { Object.defineProperty(this, '1', { value: v, writable: true, enumerable: true, configurable: true }); } });
`;

/** Runs in the page: each case, with what the page's code saw, in order. */
export async function constructorArgumentsProbe(wsOrigin: string) {
  const w = window as any;
  const log: string[] = w.log;
  const echo = `${wsOrigin}/echo`;
  const obj = (label: string, text: string) => ({ toString: () => (log.push(`toString ${label}`), text) });
  const proxyOf = (list: unknown[]) => new Proxy(list, { get: (t, k, rcv) => (log.push(`get ${String(k)}`), Reflect.get(t, k, rcv)), has: (t, k) => (log.push(`has ${String(k)}`), Reflect.has(t, k)) });
  function* generated() {
    log.push('gen 1');
    yield 'g1';
    log.push('gen 2');
    yield obj('yielded', 'g2');
    log.push('gen end');
  }
  const cases: Record<string, () => unknown> = {
    objects: () => new WebSocket(obj('url', echo) as any, obj('protocol', 'chat') as any),
    set: () => new WebSocket(echo, new Set(['a', 'b']) as any),
    generator: () => new WebSocket(echo, generated() as any),
    proxy: () => new WebSocket(echo, proxyOf(['p1', 'p2']) as any),
    sparse: () => new WebSocket(echo, ['s1', , 's3'] as any),
    accessorElement: () => new WebSocket(echo, Object.defineProperty(['e1', 'x'], 1, { get: () => (log.push('element 1'), 'e2') })),
    oneArgument: () => new WebSocket(echo),
    explicitUndefined: () => new WebSocket(echo, undefined),
    number: () => new WebSocket(echo, 5 as any),
    nullProtocols: () => new WebSocket(echo, null as any),
    badUrlAfterProtocols: () => new WebSocket('not a url', obj('protocol', 'x') as any),
    nonCallableIterator: () => new WebSocket(echo, { [Symbol.iterator]: 5 } as any),
    iteratorNotObject: () => new WebSocket(echo, { [Symbol.iterator]: () => 5 } as any),
    nextNotCallable: () => new WebSocket(echo, { [Symbol.iterator]: () => ({ next: 5 }) } as any),
    resultNotObject: () => new WebSocket(echo, { [Symbol.iterator]: () => ({ next: () => 5 }) } as any),
    symbolItem: () => new WebSocket(echo, ['a', Symbol('s')] as any),
    symbolItemFromIterator: () => new WebSocket(echo, new Set(['a', Symbol('s')]) as any),
    throwingUrl: () => new WebSocket({ toString: () => { throw new RangeError('url'); } } as any, obj('never', 'x') as any),
    throwingItem: () => new WebSocket(echo, ['a', { toString: () => { throw new RangeError('item'); } }] as any),
    throwingIteratorGetter: () => new WebSocket(echo, { get [Symbol.iterator]() { log.push('iterator getter'); throw new RangeError('getter'); } } as any),
    primitiveToSymbol: () => new WebSocket({ [Symbol.toPrimitive]: () => Symbol('u') } as any),
    primitiveToObject: () => new WebSocket(echo, { [Symbol.toPrimitive]: () => ({}) } as any),
    nonCallableToPrimitive: () => new WebSocket({ [Symbol.toPrimitive]: 'no' } as any),
    nonCallableToPrimitiveOfClass: () => new WebSocket(echo, [new (class Token { [Symbol.toPrimitive] = 7 })()] as any),
    noPrimitive: () => new WebSocket(echo, ['a', Object.create(null)] as any),
    valueOfOnly: () => new WebSocket(echo, [{ toString: () => (log.push('toString object'), {}), valueOf: () => (log.push('valueOf'), 'v') }] as any),
    symbolUrlFromToString: () => new WebSocket({ toString: () => Symbol('t') } as any),
    invalidFromIterable: () => new WebSocket(echo, new Set(['a b']) as any),
    duplicateFromIterable: () => new WebSocket(echo, new Set(['d']).add(obj('dup', 'd') as any) as any),
  };
  const out: Record<string, unknown> = {};
  for (const [name, make] of Object.entries(cases)) {
    log.push(`-- ${name}`);
    let made: WebSocket | undefined;
    out[name] = w.errorOf(() => { made = make() as WebSocket; });
    const socket = made as WebSocket | undefined;
    if (socket) {
      // Open (or failed) before it is closed, one at a time: a socket closed while connecting, or left to the
      // page's unload, makes Firefox log an error whose wording depends on timing.
      await new Promise((r) => {
        socket.addEventListener('open', r);
        socket.addEventListener('close', r);
      });
      log.push(`url ${socket.url} protocol ${socket.protocol}`);
      socket.close();
      if (socket.readyState !== WebSocket.CLOSED) await new Promise((r) => socket.addEventListener('close', r));
    }
  }
  return { out, log };
}
