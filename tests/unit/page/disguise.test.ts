import { describe, expect, it } from 'vitest';
import { installPageHook } from '@/lib/page';
import { PROBE } from '@/lib/page/disguise';
import { fakeRelay, fakeWindow, network, FakeWebSocket } from './fake-window';

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
    // The double-install guard is no fingerprint: on the page's own document the probe gets the native's answer.
    const doc = (win as unknown as { document: object }).document;
    const nativeText = nativeToString.call(NativeWebSocket);
    expect(Reflect.apply(toString, win.WebSocket, [PROBE])).toBe(nativeText);
    expect(Reflect.apply(toString, win.WebSocket, [PROBE, doc])).toBe(nativeText);
    expect(Reflect.apply(toString, NativeWebSocket, [PROBE, doc])).toBe(nativeText);
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

  it('refuses a prototype cycle through its proxies as the natives do', () => {
    const win = fakeWindow();
    installPageHook(win);
    const { WebSocket } = win;
    expect(Reflect.setPrototypeOf(WebSocket, Object.create(WebSocket))).toBe(false);
    expect(Reflect.setPrototypeOf(WebSocket.prototype.send, Object.create(WebSocket.prototype.send))).toBe(false);
    const toString = win.Function.prototype.toString;
    expect(Reflect.setPrototypeOf(toString, Object.create(Object.create(toString)))).toBe(false);
    expect(Object.getPrototypeOf(WebSocket)).toBe(Object.getPrototypeOf(FakeWebSocket) === EventTarget ? FakeWebSocket : Object.getPrototypeOf(WebSocket));
    // Anything else goes through.
    const other = Object.create(Function.prototype);
    expect(Reflect.setPrototypeOf(WebSocket.prototype.send, other)).toBe(true);
    expect(Object.getPrototypeOf(WebSocket.prototype.send)).toBe(other);
  });

  it('errors thrown through the hook carry no frame of the hook\'s', () => {
    const win = fakeWindow();
    // Node 20 lacks Error.isError (the brand check the hook needs before it re-takes a stack): the window's has it.
    const PageError = function PageError() {} as unknown as Record<string, unknown>;
    PageError.captureStackTrace = Error.captureStackTrace;
    PageError.isError = (value: unknown) => value instanceof Error;
    (win as unknown as { Error: unknown }).Error = PageError;
    fakeRelay(win);
    installPageHook(win);
    const ws = new win.WebSocket('ws://127.0.0.1:1/');
    const stackOf = (f: () => void): string => {
      try {
        f();
      } catch (error) {
        return String((error as Error).stack);
      }
      return 'no throw';
    };
    const connecting = stackOf(() => ws.send('early'));
    expect(connecting).toMatch(/CONNECTING/);
    expect(connecting).not.toMatch(/lib\/page/);
    const badThis = stackOf(() => win.WebSocket.prototype.send.call({}, 'x'));
    expect(badThis).toMatch(/Illegal invocation/);
    expect(badThis).not.toMatch(/lib\/page/);
    const notAFunction = stackOf(() => win.Function.prototype.toString.call({}));
    expect(notAFunction).toMatch(/TypeError/);
    expect(notAFunction).not.toMatch(/lib\/page/);
    network.open(ws);
  });
});
