import { describe, expect, it } from 'vitest';
import { constructorArguments } from '@/lib/page/constructor-arguments';
import { saveNatives } from '@/lib/page/natives';
import { ownObjects } from '@/lib/page/own-objects';
import { fakeWindow } from './fake-window';

/** Converts as WebIDL would, and fails as a browser does on a symbol. */
class Target {
  converted: string[] = [];
  constructor(url: unknown, protocols?: unknown) {
    this.converted.push(`${url as string}`);
    if (protocols !== undefined && typeof protocols === 'object') for (const p of protocols as Iterable<unknown>) this.converted.push(`${p as string}`);
  }
}

function convert(args: unknown[]) {
  const win = fakeWindow();
  const natives = saveNatives(win, win.WebSocket);
  const run = constructorArguments(natives, ownObjects(natives));
  return run(args, Target as unknown as typeof WebSocket, Target as unknown as (...a: unknown[]) => unknown);
}

describe('constructor arguments', () => {
  it('passes no arguments through as they are', () => {
    const args: unknown[] = [];
    expect(convert(args).args).toBe(args);
  });

  it('converts a url object once, with toString', () => {
    let calls = 0;
    const url = { toString: () => (calls++, 'ws://a/') };
    const { args, protocols } = convert([url]);
    expect(args[0]).toBe('ws://a/');
    expect(calls).toBe(1);
    expect(Array.from(protocols)).toEqual([]);
  });

  it('prefers @@toPrimitive with the hint "string"', () => {
    const hints: unknown[] = [];
    const { args } = convert([{ [Symbol.toPrimitive]: (hint: unknown) => (hints.push(hint), 'ws://p/') }]);
    expect(args[0]).toBe('ws://p/');
    expect(hints).toEqual(['string']);
  });

  it('reads protocols from any iterable once, and hands the native its own sequence of strings', () => {
    let nexts = 0;
    const source = new Set(['a', 2]);
    const iterable = {
      [Symbol.iterator]() {
        const it = source[Symbol.iterator]();
        return { next: () => (nexts++, it.next()) };
      },
    };
    const { args, protocols } = convert(['ws://a/', iterable]);
    expect(Array.from(protocols)).toEqual(['a', '2']);
    expect(nexts).toBe(3);
    expect(Array.from(args[1] as Iterable<string>)).toEqual(['a', '2']);
    expect(Array.isArray(args[1])).toBe(false);
  });

  it('a single protocol string is a protocol', () => {
    expect(Array.from(convert(['ws://a/', 'chat']).protocols)).toEqual(['chat']);
  });

  it('a protocol that cannot become a string fails with the native\'s own error', () => {
    let nativeError: unknown;
    try {
      new Target('ws://a/', [Symbol('s')]);
    } catch (e) {
      nativeError = e;
    }
    expect(() => convert(['ws://a/', [Symbol('s')]])).toThrow((nativeError as Error).message);
  });

  it('an error of the page\'s own toString propagates as it is', () => {
    const mine = new Error('page code');
    expect(() => convert([{ toString: () => { throw mine; } }])).toThrow(mine);
  });

  it('converts the url before it reads the protocols: a Symbol url throws first', () => {
    let read = false;
    const iterable = { [Symbol.iterator]: () => ((read = true), [][Symbol.iterator]()) };
    expect(() => convert([Symbol('u'), iterable])).toThrow(TypeError);
    expect(read).toBe(false);
  });
});
