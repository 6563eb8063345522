import './runes';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackgroundLink, RECONNECT_DELAYS_MS } from '@/lib/panel/link-state.svelte';
import { memoryPortPair, type Port } from '@/lib/shared/transport';
import { NAMESPACE, PROTOCOL_VERSION, message, type BackgroundToPanelMessage, type PanelToBackgroundMessage } from '@/lib/shared/protocol';

afterEach(() => vi.useRealTimers());

/** A link to a fake background: each connect makes a new port pair; `background()` is the newest far side. */
function harness(tabId: number | null = 7) {
  const backgrounds: Array<{ port: Port<BackgroundToPanelMessage>; got: PanelToBackgroundMessage[] }> = [];
  const received: BackgroundToPanelMessage[] = [];
  const link = new BackgroundLink({
    tabId,
    connect() {
      const [panelSide, backgroundSide] = memoryPortPair<PanelToBackgroundMessage, BackgroundToPanelMessage>();
      const bg = { port: backgroundSide, got: [] as PanelToBackgroundMessage[] };
      backgroundSide.listen((m) => bg.got.push(m as PanelToBackgroundMessage));
      backgrounds.push(bg);
      return panelSide;
    },
    receive: (msg) => received.push(msg),
  });
  return { link, received, backgrounds, background: () => backgrounds[backgrounds.length - 1] };
}

describe('BackgroundLink', () => {
  it('says hello for its tab and is connected once welcomed', async () => {
    const { link, background } = harness(7);
    expect(link.status).toBe('connecting');
    link.open();
    await Promise.resolve();
    expect(background().got).toEqual([message({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId: 7 })]);
    expect(link.status).toBe('connecting');
    expect(link.welcomed(PROTOCOL_VERSION)).toBe('first');
    expect(link.status).toBe('connected');
  });

  it('is connected at once without a tab, and says no hello', async () => {
    const { link, background } = harness(null);
    link.open();
    await Promise.resolve();
    expect(link.status).toBe('connected');
    expect(background().got).toEqual([]);
  });

  it('hands protocol messages to receive and drops anything else', async () => {
    const { link, received, background } = harness();
    link.open();
    const stored = message<BackgroundToPanelMessage>({ type: 'stored', sessionId: 's', connectionIds: [] });
    background().port.send(stored);
    background().port.send({ type: 'stored', sessionId: 'forged' } as unknown as BackgroundToPanelMessage);
    background().port.send({ ns: NAMESPACE } as unknown as BackgroundToPanelMessage);
    await Promise.resolve();
    expect(received).toEqual([stored]);
  });

  it('is gone when the extension context is', () => {
    const link = new BackgroundLink({
      tabId: 1,
      connect: () => {
        throw new Error('Extension context invalidated.');
      },
      receive: () => undefined,
    });
    link.open();
    expect(link.status).toBe('gone');
    expect(link.error).toMatch(/no longer available \(Extension context invalidated\.\)/);
  });

  it('is gone when the background speaks another protocol version', () => {
    const { link } = harness();
    link.open();
    expect(link.welcomed(PROTOCOL_VERSION + 1)).toBe('mismatch');
    expect(link.status).toBe('gone');
    expect(link.error).toMatch(/protocol/);
  });

  it('reconnects when the worker goes away, with growing delays, and says so when welcomed again', async () => {
    vi.useFakeTimers();
    const { link, backgrounds, background } = harness();
    link.open();
    link.welcomed(PROTOCOL_VERSION);
    background().port.disconnect();
    await vi.advanceTimersByTimeAsync(0);
    expect(link.status).toBe('reconnecting');
    expect(backgrounds).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(RECONNECT_DELAYS_MS[0]);
    expect(backgrounds).toHaveLength(2);
    expect(background().got.map((m) => m.type)).toEqual(['panel-hello']);
    // Gone again before a welcome: the next wait is longer.
    background().port.disconnect();
    await vi.advanceTimersByTimeAsync(RECONNECT_DELAYS_MS[0]);
    expect(backgrounds).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(RECONNECT_DELAYS_MS[1] - RECONNECT_DELAYS_MS[0]);
    expect(backgrounds).toHaveLength(3);
    expect(link.welcomed(PROTOCOL_VERSION)).toBe('again');
    expect(link.status).toBe('connected');
    expect(link.welcomed(PROTOCOL_VERSION)).toBe('first');
  });

  it('close disconnects and stops reconnecting', async () => {
    vi.useFakeTimers();
    const { link, backgrounds, background } = harness();
    link.open();
    const gone = vi.fn();
    background().port.listen(() => undefined, gone);
    link.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(gone).toHaveBeenCalledTimes(1);
    expect(backgrounds).toHaveLength(1);
    expect(link.post(message({ type: 'get-rules' }))).toBe(false);
    link.open();
    expect(backgrounds).toHaveLength(1);
  });

  it('sends page commands and settles each with its own result', async () => {
    const { link, background } = harness(3);
    link.open();
    const first = link.command({ kind: 'close', connectionId: 'c', code: 1000, reason: '' });
    const second = link.command({ kind: 'close', connectionId: 'd', code: 1000, reason: '' });
    await Promise.resolve();
    const requests = background().got.filter((m) => m.type === 'page-command');
    expect(requests.map((m) => m.type === 'page-command' && m.tabId)).toEqual([3, 3]);
    const [a, b] = requests.map((m) => (m.type === 'page-command' ? m.requestId : ''));
    expect(a).not.toBe(b);
    link.settle(b, { ok: false, error: 'no such socket' });
    link.settle(a, { ok: true });
    expect(await first).toEqual({ ok: true });
    expect(await second).toEqual({ ok: false, error: 'no such socket' });
  });

  it('answers a command at once when it cannot be sent', async () => {
    const { link } = harness(3);
    expect(await link.command({ kind: 'close', connectionId: 'c', code: 1000, reason: '' })).toEqual({ ok: false, error: 'Not connected to the background.' });
    const noTab = harness(null).link;
    noTab.open();
    expect(await noTab.command({ kind: 'close', connectionId: 'c', code: 1000, reason: '' })).toEqual({ ok: false, error: 'This panel is not attached to a tab.' });
  });
});
