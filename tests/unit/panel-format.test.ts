import { describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '@/lib/shared/records';
import { BYTES_PER_LINE, hexDumpLines, hexDumpText, lineCount, toHex } from '@/lib/panel/hexdump';
import { jsonEntries, jsonSummary, parseJsonPayload, prettyJson } from '@/lib/panel/json-view';
import {
  closeText, connectionAccessibleName, connectionDuration, connectionStateText, formatBytes, rowAccessibleName, messageAsJson, formatDuration, formatExactTime, formatRelative, formatRowTime, rowDirection, rowMarks, rowPreview, rowType,
} from '@/lib/panel/message-format';
import { captureGapsText, payloadCapText } from '@/lib/panel/store-notes';
import { capNote } from '@/lib/store/frame-store';

describe('hexdump', () => {
  const bytes = new Uint8Array([0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0xff, 0x7f, 0x20, 1, 2, 3, 4, 5, 6, 7, 0x41]);
  it('lays out offset, hex with a gap after 8 bytes, and printable ASCII', () => {
    const lines = hexDumpLines(bytes);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({ offset: '00000000', hex: '48 65 6c 6c 6f 00 ff 7f  20 01 02 03 04 05 06 07', ascii: 'Hello... .......' });
    expect(lines[1].offset).toBe('00000010');
    expect(lines[1].hex.trimEnd()).toBe('41');
    expect(lines[1].hex.length).toBe(lines[0].hex.length);
    expect(lines[1].ascii).toBe('A');
  });
  it('computes one window of lines', () => {
    const big = new Uint8Array(BYTES_PER_LINE * 100);
    expect(lineCount(big.length)).toBe(100);
    expect(hexDumpLines(big, 98, 10).map((l) => l.offset)).toEqual(['00000620', '00000630']);
    expect(hexDumpText(new Uint8Array([0x41]))).toBe('00000000  41' + ' '.repeat(46) + '  A');
  });
  it('writes contiguous hex', () => {
    expect(toHex(new Uint8Array([0, 15, 16, 255]))).toBe('000f10ff');
  });
});

describe('json-view', () => {
  it('parses only objects and arrays', () => {
    expect(parseJsonPayload('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonPayload('  [1,2]')).toEqual({ ok: true, value: [1, 2] });
    expect(parseJsonPayload('42').ok).toBe(false);
    expect(parseJsonPayload('{broken').ok).toBe(false);
  });
  it('lists children and summarises containers', () => {
    expect(jsonEntries({ b: 1, a: [true] })).toEqual([{ key: 'b', value: 1 }, { key: 'a', value: [true] }]);
    expect(jsonEntries(['x'])).toEqual([{ key: '0', value: 'x' }]);
    expect(jsonSummary([1, 2, 3])).toBe('Array(3)');
    expect(jsonSummary({ a: 1, b: 2, c: 3, d: 4, e: 5 })).toBe('{a, b, c, d, …}');
    expect(jsonSummary('<img>')).toBe('"<img>"');
    expect(prettyJson({ a: 1 })).toBe('{\n  "a": 1\n}');
  });
});

describe('message-format', () => {
  const base = { sessionId: 's', connectionId: 'c', seq: 1, time: 0, size: 0 };
  it('previews rows on one line', () => {
    expect(rowPreview({ ...base, kind: 'frame', opcode: 1, data: 'a\nb\tc' })).toBe('a b c');
    expect(rowPreview({ ...base, kind: 'frame', opcode: 1, data: 'x'.repeat(300) })).toBe('x'.repeat(200) + '…');
    expect(rowPreview({ ...base, kind: 'frame', opcode: 2, data: new Uint8Array([1, 2, 255]).buffer as ArrayBuffer })).toBe('Binary 3 B: 01 02 ff');
    expect(rowPreview({ ...base, kind: 'close', code: 1000, reason: 'bye', wasClean: true })).toBe('Connection closed: code 1000, reason "bye"');
    expect(rowPreview({ ...base, kind: 'open', protocol: 'chat' })).toBe('Connection opened (protocol chat)');
    expect(closeText(1006, '', false)).toBe('code 1006, not clean');
  });
  it('names type, direction and marks', () => {
    expect(rowType({ ...base, kind: 'frame', opcode: 2 })).toBe('binary');
    expect(rowType({ ...base, kind: 'error' })).toBe('error');
    expect(rowDirection({ ...base, kind: 'frame', dir: 'send' }).label).toBe('sent');
    expect(rowMarks({ ...base, kind: 'frame', origin: 'inspector', status: 'dropped' })).toEqual(['sent by inspector', 'dropped']);
    expect(rowMarks({ ...base, kind: 'frame', origin: 'simulated', status: 'refused' })).toEqual(['simulated', 'refused']);
  });
  it('formats sizes, times and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.00 MB');
    expect(formatRelative(2234.6, 1000)).toBe('+1.235 s');
    expect(formatRowTime(2000, 'relative', undefined)).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(formatExactTime(Date.UTC(2026, 0, 2, 3, 4, 5, 6) + 0.789)).toBe('2026-01-02T03:04:05.006789Z');
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(61_000)).toBe('1 min 1 s');
  });
  it('never reads a duration negative: a replay started after the last tick of "now" has lasted 0 ms (#23)', () => {
    const c = { startedAt: 10_187, state: 'open' } as ConnectionRecord;
    expect(connectionDuration(c, 10_000)).toBe(0);
    expect(formatDuration(connectionDuration(c, 10_000))).toBe('0 ms');
    expect(connectionDuration({ ...c, closedAt: 10_000 }, 20_000)).toBe(0);
    expect(connectionDuration(c, 10_387)).toBe(200);
    expect(formatDuration(-187)).toBe('0 ms');
  });
  it('names rows and connections for screen readers with the parts apart (#23)', () => {
    const row = { ...base, kind: 'frame' as const, dir: 'send' as const, opcode: 1 as const, size: 4, origin: 'inspector' as const, data: 'act1' };
    expect(rowAccessibleName(row, { time: '10:00:00.000', connection: '#2' })).toBe('sent, connection #2, 10:00:00.000, 4 B, text, sent by inspector: act1');
    expect(rowAccessibleName({ ...base, kind: 'error' }, { time: 't' })).toBe('event, t, error: Connection error');
    const c = { url: 'ws://x/echo', initiator: 'replay', state: 'open', startedAt: 5000, sentCount: 2, sentBytes: 10, receivedCount: 1, receivedBytes: 3 } as ConnectionRecord;
    const name = connectionAccessibleName(3, c, 4000);
    expect(name).toMatch(/^#3, replay, ws:\/\/x\/echo — open, 2 sent \(10 B\), 1 received \(3 B\), started .*, 0 ms$/);
    expect(connectionAccessibleName(1, { ...c, initiator: undefined }, 4000)).toMatch(/^#1 ws:\/\/x\/echo — open/);
  });
  it('describes connection state', () => {
    const c = { state: 'closed', closeCode: 4000, closeReason: 'x', errored: true } as ConnectionRecord;
    expect(connectionStateText(c)).toBe('closed 4000 "x" after error');
    expect(connectionStateText({ ...c, state: 'open' })).toBe('open');
    // A refused upgrade whose status a handshake source saw (DevTools' log, Firefox's webRequest, a HAR).
    const handshake = { method: 'GET', url: 'ws://a/', status: 403, statusText: 'Forbidden', requestHeaders: [], responseHeaders: [], source: 'devtools' as const };
    expect(connectionStateText({ ...c, state: 'error', handshake })).toBe('refused: 403 Forbidden');
    expect(connectionStateText({ ...c, handshake: { ...handshake, statusText: '' } })).toBe('refused: 403');
    expect(connectionStateText({ ...c, handshake: { ...handshake, status: 101 } })).toBe('closed 4000 "x" after error');
    expect(connectionStateText({ ...c, handshake: { ...handshake, status: 0, error: 'net::ERR_FAILED' } })).toBe('closed 4000 "x" after error');
  });
});


describe('messageAsJson', () => {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const base = { sessionId: 's', connectionId: 'c', seq: 7, time: Date.UTC(2026, 0, 1), size: 9 };
  it('embeds JSON payloads, strings and base64', () => {
    const json = JSON.parse(messageAsJson({ ...base, kind: 'frame', dir: 'send', opcode: 1, data: '{"a":[1]}' }, b64, 'ws://x'));
    expect(json).toEqual({ kind: 'frame', time: '2026-01-01T00:00:00.000000Z', seq: 7, url: 'ws://x', direction: 'sent', type: 'text', size: 9, encoding: 'json', data: { a: [1] } });
    expect(JSON.parse(messageAsJson({ ...base, kind: 'frame', dir: 'receive', opcode: 1, data: '{nope' }, b64)).data).toBe('{nope');
    const bin = JSON.parse(messageAsJson({ ...base, kind: 'frame', dir: 'receive', opcode: 2, data: new Uint8Array([1, 2]).buffer as ArrayBuffer, status: 'dropped' }, b64));
    expect([bin.encoding, bin.data, bin.status]).toEqual(['base64', 'AQI=', 'dropped']);
    expect(JSON.parse(messageAsJson({ ...base, kind: 'close', code: 1000, reason: 'x', wasClean: true }, b64))).toMatchObject({ kind: 'close', code: 1000, reason: 'x' });
  });
});

describe('what the store says about a session', () => {
  const at = new Date(2026, 0, 2, 14, 3, 7, 123).getTime();
  const base = { id: 'c', sessionId: 's', url: 'wss://x/', protocols: [], protocol: '', extensions: '', frameUrl: '', pageUrl: '', startedAt: at - 1000, errored: false, sentCount: 0, receivedCount: 0, sentBytes: 0, receivedBytes: 0, lastSeq: 2, rowCount: 2 } satisfies Partial<ConnectionRecord>;

  it('says a connection ended by its page going away, with the time, instead of "closed"', () => {
    const closed: ConnectionRecord = { ...base, state: 'closed', closedAt: at, pageGone: { reason: 'page-closed', time: at } };
    expect(connectionStateText(closed)).toBe('page closed at 14:03:07.123');
    expect(connectionStateText({ ...closed, pageGone: { reason: 'crashed', time: at } })).toBe('page crashed at 14:03:07.123 — frames not yet flushed may be missing');
    expect(connectionStateText({ ...closed, pageGone: undefined })).toBe('closed');
  });

  it('says a session reached its payload cap, with counts', () => {
    expect(payloadCapText({ limit: 256 * 1024 ** 2, reachedAt: at, droppedFrames: 1234, droppedBytes: 12.5 * 1024 ** 2 })).toBe(
      'Payloads no longer stored: this session reached its 256 MiB cap at 14:03:07.123. 1,234 frames (12.5 MiB) since then are listed without their payload; counts and sizes stay exact.',
    );
    expect(payloadCapText({ limit: 1024, reachedAt: at, droppedFrames: 1, droppedBytes: 10 })).toContain('1 frame (10 B) since then');
  });

  it('says in which frames capture could not start', () => {
    expect(captureGapsText([{ frameUrl: 'https://ads.example/frame', reason: 'hand-over-failed', time: at }])).toBe(
      'Capture unavailable in 1 frame: https://ads.example/frame (hand-over failed)',
    );
    expect(captureGapsText([{ frameUrl: 'https://a/', reason: 'hand-over-failed', time: at }, { frameUrl: '', reason: 'hand-over-failed', time: at }])).toBe(
      'Capture unavailable in 2 frames: https://a/ (hand-over failed), (unknown URL) (hand-over failed)',
    );
  });

  it('shows a capped row\'s note instead of an empty preview', () => {
    const note = capNote(256 * 1024 ** 2);
    expect(rowPreview({ sessionId: 's', connectionId: 'c', seq: 3, time: at, kind: 'frame', dir: 'receive', opcode: 1, size: 5000, note })).toBe('payload not stored: session over its 256 MiB cap');
    expect(rowPreview({ sessionId: 's', connectionId: 'c', seq: 3, time: at, kind: 'frame', dir: 'receive', opcode: 1, size: 2, data: 'hi', note: 'other' })).toBe('hi');
  });
});
