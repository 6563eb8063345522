import { describe, expect, it } from 'vitest';
import { saveNatives } from '@/lib/page/natives';
import { ownObjects } from '@/lib/page/own-objects';
import { fakeWindow } from './fake-window';

function own() {
  const win = fakeWindow();
  const natives = saveNatives(win, win.WebSocket);
  return { natives, own: ownObjects(natives) };
}

describe('the natives record', () => {
  it('has no prototype, nor do the records the modules pass', () => {
    const { natives, own: o } = own();
    expect(Object.getPrototypeOf(natives)).toBeNull();
    expect(Object.getPrototypeOf(o)).toBeNull();
    expect(Object.getPrototypeOf(natives.regexpFlags)).toBeNull();
    expect(Array.prototype.map.call(natives.regexpFlags, (f: { letter: string }) => f.letter).join('')).toMatch(/^d?gimsu?v?y$/);
  });
});

describe('own objects', () => {
  it('ownArray and withoutPrototype have no prototype to look a missing member up on', () => {
    const { own: o } = own();
    const list = o.ownArray<number>();
    list[list.length] = 1;
    expect(Object.getPrototypeOf(list)).toBeNull();
    expect(Array.isArray(list)).toBe(true);
    expect(list.length).toBe(1);
    expect(Object.getPrototypeOf(o.withoutPrototype({ a: 1 }))).toBeNull();
  });

  it('ownSequence iterates with its own iterator, not Array.prototype\'s', () => {
    const { own: o } = own();
    const seq = o.ownSequence(['a', 'b']);
    const saved = Array.prototype[Symbol.iterator];
    let called = 0;
    Array.prototype[Symbol.iterator] = function (this: unknown[]) {
      called++;
      return saved.call(this);
    };
    let items: string[];
    try {
      items = Array.from(seq as Iterable<string>);
    } finally {
      Array.prototype[Symbol.iterator] = saved;
    }
    expect(called).toBe(0);
    expect(items).toEqual(['a', 'b']);
    const iterator = (seq as Iterable<string>)[Symbol.iterator]();
    expect(Object.getPrototypeOf(iterator)).toBeNull();
  });

  it('withoutPrototypes takes the prototype off plain objects and arrays, deep, and leaves the rest', () => {
    const { own: o } = own();
    const buffer = new ArrayBuffer(1);
    const re = /x/;
    const msg = { command: { rules: [{ url: re, rule: { name: 'n' } }], data: buffer } };
    o.withoutPrototypes(msg);
    expect(Object.getPrototypeOf(msg)).toBeNull();
    expect(Object.getPrototypeOf(msg.command.rules)).toBeNull();
    expect(Object.getPrototypeOf(msg.command.rules[0].rule)).toBeNull();
    expect(Object.getPrototypeOf(buffer)).toBe(ArrayBuffer.prototype);
    expect(Object.getPrototypeOf(re)).toBe(RegExp.prototype);
  });
});
