// The panel's reading of DevTools' network log: a HAR entry as a socket (a refused upgrade's status from its error
// message, the initiator that is not our hook), and what each poll still owes the background.
import { describe, expect, it, vi } from 'vitest';
import { DevtoolsNetworkSource, POLL_MS, POLL_SHARE, handshakeOf, initiatorUrlOf, nextPollDelay, socketOfEntry, type DevtoolsHarEntry } from '@/lib/panel/devtools-network';
import type { DevtoolsSocket } from '@/lib/shared/protocol';

const entry = (fields: Partial<DevtoolsHarEntry> = {}): DevtoolsHarEntry => ({
  startedDateTime: '2026-01-01T00:00:01.000Z',
  _resourceType: 'websocket',
  _webSocketMessages: [
    { type: 'send', time: 1767225601.5, opcode: 1, data: 'a' },
    { type: 'receive', time: 1767225601.6, opcode: 1, data: 'a' },
  ],
  request: { method: 'GET', url: 'ws://h/x', headers: [{ name: 'Cookie', value: 'k=v' }] },
  response: { status: 101, statusText: 'Switching Protocols', headers: [{ name: 'Sec-WebSocket-Accept', value: 'z' }] },
  ...fields,
});

describe('a HAR entry as a socket', () => {
  it('keeps headers and messages, in ms', () => {
    const socket = socketOfEntry(entry());
    expect(socket.startedAt).toBe(Date.parse('2026-01-01T00:00:01.000Z'));
    expect(socket.messages[0]).toEqual({ type: 'send', time: 1767225601500, opcode: 1, data: 'a' });
    expect(socket.handshake).toMatchObject({ status: 101, requestHeaders: [{ name: 'Cookie', value: 'k=v' }], source: 'devtools' });
  });

  it('reads a refused upgrade’s status from its error message', () => {
    const refused = entry({ response: { status: 0, statusText: '', headers: [] }, _webSocketMessages: [{ type: 'error', time: 1, opcode: -1, data: 'Error during WebSocket handshake: Unexpected response code: 404' }] });
    expect(handshakeOf(refused)).toMatchObject({ status: 404, error: 'Error during WebSocket handshake: Unexpected response code: 404' });
  });

  it('names the script that opened it, not our hook', () => {
    const stack = { callFrames: [{ url: 'chrome-extension://id/content-scripts/page-hook.js' }, { url: 'http://h/w.js' }] };
    expect(initiatorUrlOf(entry({ _initiator: { stack } }))).toBe('http://h/w.js');
  });
});

describe('what a poll sends', () => {
  it('sends new messages only, stops once attached, and sends the finish once', () => {
    const sent: DevtoolsSocket[][] = [];
    let finished: ((e: DevtoolsHarEntry) => void) | undefined;
    const source = new DevtoolsNetworkSource({ getHAR: async () => ({ entries: [] }), onRequestFinished: (l) => (finished = l), send: (s) => sent.push(s), now: () => 0 });
    source.sync([entry()]);
    expect(sent[0][0]).toMatchObject({ from: 0, messages: [{ data: 'a' }, { data: 'a' }] });
    source.sync([entry()]);
    expect(sent).toHaveLength(1); // unanswered: not sent twice
    source.onResults([{ key: sent[0][0].key, outcome: 'pending' }]);
    source.sync([entry()]);
    expect(sent).toHaveLength(2);
    source.onResults([{ key: sent[0][0].key, outcome: 'stored', connectionId: 'c', stored: 2 }]);
    source.sync([entry()]);
    expect(sent).toHaveLength(2); // nothing new
    const more = entry({ _webSocketMessages: [...entry()._webSocketMessages!, { type: 'send', time: 2, opcode: 1, data: 'b' }] });
    source.sync([more]);
    expect(sent[2][0]).toMatchObject({ from: 2, messages: [{ data: 'b' }] });
    source.onResults([{ key: sent[0][0].key, outcome: 'stored', connectionId: 'c', stored: 3 }]);
    source.start(1e9);
    finished!(more);
    expect(sent[3][0]).toMatchObject({ from: 3, messages: [], finished: { time: 0 } });
    source.onResults([{ key: sent[0][0].key, outcome: 'stored', connectionId: 'c', stored: 3 }]);
    source.sync([more]);
    expect(sent).toHaveLength(4);
    source.stop();

    const attached: DevtoolsSocket[][] = [];
    const other = new DevtoolsNetworkSource({ getHAR: async () => ({ entries: [] }), onRequestFinished: () => {}, send: (s) => attached.push(s), now: () => 0 });
    other.sync([entry()]);
    other.onResults([{ key: attached[0][0].key, outcome: 'attached', connectionId: 'hook' }]);
    other.sync([more]);
    expect(attached).toHaveLength(1);
  });

  it('spaces reads of the log out when getHAR is slow, so it takes at most POLL_SHARE of DevTools\' thread', async () => {
    expect(nextPollDelay(POLL_MS, 10)).toBe(POLL_MS);
    expect(nextPollDelay(POLL_MS, 93)).toBe(Math.ceil(93 / POLL_SHARE));
    vi.useFakeTimers();
    try {
      let clock = 0;
      const reads: number[] = [];
      const source = new DevtoolsNetworkSource({
        getHAR: async () => {
          reads.push(clock);
          clock += 200; // a big log: each read takes 200 ms
          return { entries: [] };
        },
        onRequestFinished: () => {},
        send: () => {},
        now: () => clock,
        clock: () => clock,
      });
      source.start(POLL_MS);
      await vi.advanceTimersByTimeAsync(0);
      expect(reads).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(POLL_MS);
      expect(reads).toHaveLength(1); // not after POLL_MS: 200 ms is 20% of it
      await vi.advanceTimersByTimeAsync(200 / POLL_SHARE - POLL_MS);
      expect(reads).toHaveLength(2);
      source.stop();
      await vi.advanceTimersByTimeAsync(10 * POLL_MS);
      expect(reads).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
