import { describe, expect, it } from 'vitest';
import { installPageHook } from '@/lib/page';
import { PROBE } from '@/lib/page/disguise';
import { fakeWindow, FakeWebSocket } from './fake-window';

describe('disguise', () => {
  it('toString answers for the proxies with the natives\' own text, including for itself', () => {
    const win = fakeWindow();
    const nativeToString = win.Function.prototype.toString;
    const NativeWebSocket = win.WebSocket;
    const nativeSend = NativeWebSocket.prototype.send;
    const before = Object.getOwnPropertyDescriptor(win, 'WebSocket');
    installPageHook(win);
    const toString = win.Function.prototype.toString;
    expect(win.WebSocket).not.toBe(NativeWebSocket);
    expect(toString).not.toBe(nativeToString);
    expect(toString.call(win.WebSocket)).toBe(nativeToString.call(NativeWebSocket));
    expect(toString.call(win.WebSocket.prototype.send)).toBe(nativeToString.call(nativeSend));
    expect(toString.call(toString)).toBe(nativeToString.call(nativeToString));
    expect(toString.call(() => 1)).toBe('() => 1');
    const probe = (fn: unknown, self: unknown) => Reflect.apply(fn as (...a: unknown[]) => unknown, self, [PROBE]);
    expect(probe(toString, NativeWebSocket)).toBe(PROBE);
    expect(probe(nativeToString, NativeWebSocket)).not.toBe(PROBE);
    // Attributes kept; the prototype's constructor is the proxy; statics reach the native.
    const after = Object.getOwnPropertyDescriptor(win, 'WebSocket')!;
    expect({ ...after, value: undefined }).toEqual({ ...before, value: undefined });
    expect(win.WebSocket.prototype.constructor).toBe(win.WebSocket);
    expect(win.WebSocket.prototype).toBe(NativeWebSocket.prototype);
    expect(win.WebSocket.name).toBe('WebSocket');
    expect(win.WebSocket.OPEN).toBe(1);
    expect(new win.WebSocket('ws://a/')).toBeInstanceOf(FakeWebSocket);
    expect(() => (win.WebSocket as unknown as () => void)()).toThrow(TypeError);
  });
});
