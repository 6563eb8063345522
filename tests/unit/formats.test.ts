import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSessionText } from '../../lib/io/formats/detect';
import { FormatError, lineColumn, parseJsonText } from '../../lib/io/formats/errors';
import { HarWriter, readHar } from '../../lib/io/formats/har';
import { HIDDEN_VALUE } from '../../lib/io/formats/handshake';
import { WsiWriter, readWsi } from '../../lib/io/formats/wsi-json';
import type { ConnectionRecord } from '../../lib/shared/records';

const chromeHar = readFileSync(new URL('../fixtures/chrome-websocket.har', import.meta.url), 'utf8');

function errorOf(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FormatError) return error;
    throw error;
  }
  throw new Error('expected a FormatError');
}

function wsi(connections: unknown[], extra: Record<string, unknown> = {}) {
  return { format: 'websocket-inspector', version: 1, session: { pageUrl: 'https://a.test/', title: 't', startedAt: 1 }, connections, ...extra };
}

describe('Chrome HAR', () => {
  it('reads only the WebSocket entries of a HAR saved by Chrome DevTools, with every message', () => {
    expect(readSessionText('\ufeff' + chromeHar).connections).toHaveLength(2); // a byte-order mark is fine
    const s = readSessionText(chromeHar);
    const joined = '{"op":"joined","members":["ana","bo"],"note":"hé ✓ <b>not html</b>"}';
    expect(s.format).toBe('har');
    expect(s.pageUrl).toBe('https://chat.example.test/room/42');
    expect(s.connections.map((c) => c.url)).toEqual(['wss://chat.example.test/socket?room=42', 'wss://metrics.example.test/live']);
    const chat = s.connections[0];
    expect(chat.protocols).toEqual(['chat.v2', 'chat.v1']);
    expect(chat.protocol).toBe('chat.v2');
    expect(chat.extensions).toBe('permessage-deflate');
    expect(chat.startedAt).toBe(Date.parse('2026-11-25T18:00:00.120Z'));
    expect(chat.rows.map((r) => [r.seq, r.dir, r.opcode, r.encoding, r.data, r.size])).toEqual([
      [1, 'send', 1, 'text', '{"op":"join","room":42}', 23],
      [2, 'receive', 1, 'text', joined, Buffer.byteLength(joined)],
      [3, 'receive', 2, 'base64', 'AAEC/f7/', 6],
      [4, 'send', 1, 'text', '', 0],
      [5, 'send', 2, 'base64', '3q2+7w==', 4],
    ]);
    // Seconds become milliseconds with the sub-millisecond part kept.
    expect(chat.rows[0].time).toBeCloseTo(1795629600125.418, 3);
    expect(chat.rows[4].time).toBeCloseTo(1795629602000.001, 3);
    expect(s.warnings).toEqual([]);
  });

  it('names the entry and message that lacks a field', () => {
    const har = JSON.parse(chromeHar);
    delete har.log.entries[2]._webSocketMessages[3].opcode;
    expect(errorOf(() => readHar(har)).message).toBe("log.entries[2]._webSocketMessages[3]: missing 'opcode'");
    har.log.entries[2]._webSocketMessages[3].opcode = 1;
    har.log.entries[2]._webSocketMessages[1].time = '12:00';
    expect(errorOf(() => readHar(har)).message).toBe('log.entries[2]._webSocketMessages[1].time: expected a number, got a string');
    har.log.entries[2]._webSocketMessages[1].time = 1;
    har.log.entries[2]._webSocketMessages[2].data = 'not base64!';
    expect(errorOf(() => readHar(har)).message).toMatch(/^log\.entries\[2\]\._webSocketMessages\[2\]\.data: .*not valid base64/);
  });

  it('refuses a HAR without WebSocket entries, saying so', () => {
    const har = JSON.parse(chromeHar);
    har.log.entries = har.log.entries.slice(0, 2);
    expect(errorOf(() => readSessionText(JSON.stringify(har))).message).toBe(
      'log.entries: none of the 2 entries is a WebSocket connection (no entry has "_resourceType": "websocket" or "_webSocketMessages")',
    );
  });

  it('leaves out control frames with a warning instead of failing', () => {
    const har = JSON.parse(chromeHar);
    har.log.entries[3]._webSocketMessages.push({ type: 'receive', time: 1795629601.3, opcode: 9, data: '' });
    const s = readHar(har);
    expect(s.connections[1].rows).toHaveLength(1);
    expect(s.warnings).toEqual(['log.entries[3]: 1 ping control frame left out (only text and binary messages are kept)']);
  });
});

describe('.wsi.json', () => {
  const row = { seq: 1, time: 1.5, kind: 'frame', dir: 'send', opcode: 1, encoding: 'text', data: 'hi' };

  it('refuses another version, naming the version', () => {
    expect(errorOf(() => readSessionText(JSON.stringify(wsi([], { version: 2 })))).message).toBe(
      'version: version 2 is not supported; this build reads version 1',
    );
  });

  it('names the row with a bad or missing field', () => {
    const conn = (rows: unknown[]) => ({ url: 'ws://x/', rows });
    expect(errorOf(() => readWsi(wsi([conn([row, { ...row, seq: 2, dir: 'up' }])]))).message).toBe(
      'connections[0].rows[1].dir: expected one of "send", "receive", got "up"',
    );
    const { data: _data, ...noData } = row;
    expect(errorOf(() => readWsi(wsi([conn([noData])]))).message).toBe("connections[0].rows[0]: missing 'data'");
    expect(errorOf(() => readWsi(wsi([conn([row, row])]))).message).toBe("connections[0].rows[1].seq: 1 is not greater than the previous row's seq 1");
    expect(errorOf(() => readWsi(wsi([conn([{ ...row, opcode: 2, encoding: 'text' }])]))).message).toMatch(/^connections\[0\]\.rows\[0\]\.encoding: a binary frame/);
    expect(errorOf(() => readWsi(wsi([conn([{ seq: 1, time: 2, kind: 'close' }])]))).message).toBe("connections[0].rows[0]: missing 'code'");
    expect(errorOf(() => readWsi(wsi([{ rows: [] }]))).message).toBe("connections[0]: missing 'url'");
  });

  it('computes sizes from the payload (UTF-8 bytes, decoded base64 length)', () => {
    const s = readWsi(wsi([{ url: 'ws://x/', rows: [{ ...row, data: 'hé✓😀' }, { ...row, seq: 2, opcode: 2, encoding: 'base64', data: 'AAE=' }] }]));
    expect(s.connections[0].rows.map((r) => r.size)).toEqual([1 + 2 + 3 + 4, 2]);
  });
});

describe('reading any file', () => {
  it('calls a file that stops early truncated, with where it stops', () => {
    const text = JSON.stringify(wsi([]), null, 2);
    const cut = text.slice(0, text.length - 10);
    expect(errorOf(() => readSessionText(cut)).message).toMatch(/^the file is truncated: the JSON ends before it is complete \(at line \d+, column \d+\)$/);
  });

  it('gives line and column for invalid JSON', () => {
    const error = errorOf(() => parseJsonText('{\n  "a": 1,\n  "b": nope\n}'));
    expect(error.message).toBe("invalid JSON at line 3, column 8: unexpected 'n'");
    expect(errorOf(() => parseJsonText('{"a": [1, 2,]}')).message).toBe("invalid JSON at line 1, column 13: unexpected ']'");
    expect(errorOf(() => parseJsonText(String.raw`{"a": "x\u12"}`)).message).toBe(String.raw`invalid JSON at line 1, column 9: bad \u escape`);
    expect(errorOf(() => parseJsonText('{"a": 1} x')).message).toBe("invalid JSON at line 1, column 10: unexpected 'x' after the end of the JSON");
    // A member's name and colon, first in an object and after a comma.
    expect(errorOf(() => parseJsonText('{a: 1}')).message).toBe("invalid JSON at line 1, column 2: unexpected 'a'");
    expect(errorOf(() => parseJsonText('{"a" 1}')).message).toBe("invalid JSON at line 1, column 6: unexpected '1'");
    expect(errorOf(() => parseJsonText('{"a": 1, 2: 3}')).message).toBe("invalid JSON at line 1, column 10: unexpected '2'");
    expect(errorOf(() => parseJsonText('{"a": 1, "b" 3}')).message).toBe("invalid JSON at line 1, column 14: unexpected '3'");
    expect(errorOf(() => parseJsonText('{"a": 1, "b')).message).toMatch(/^the file is truncated|unexpected end/);
  });

  it('says what it expected for JSON that is neither format', () => {
    expect(errorOf(() => readSessionText('[1,2]')).message).toMatch(/^not a WebSocket Inspector export or a HAR file/);
    expect(errorOf(() => readSessionText('{"format":"other"}')).message).toBe('format: unknown format "other"; expected "websocket-inspector" or a HAR file');
    expect(errorOf(() => readSessionText('  ')).message).toBe('the file is empty');
  });

  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toBe('line 1, column 1');
    expect(lineColumn('ab\ncd', 4)).toBe('line 2, column 2');
  });
});

describe('handshake headers in files (issue #21 §3)', () => {
  const handshake = {
    method: 'GET',
    url: 'wss://a.test/s',
    status: 101,
    statusText: 'Switching Protocols',
    requestHeaders: [
      { name: 'Sec-WebSocket-Version', value: '13' },
      { name: 'Cookie', value: 'session=secret' },
      { name: 'Authorization', value: 'Bearer t' },
    ],
    responseHeaders: [
      { name: 'Sec-WebSocket-Accept', value: 'abc=' },
      { name: 'set-cookie', value: 'id=1' },
    ],
    source: 'devtools' as const,
  };
  const connection: ConnectionRecord = {
    id: 'c1', sessionId: 's', url: 'wss://a.test/s', protocols: [], protocol: '', extensions: '', frameUrl: 'https://a.test/', pageUrl: 'https://a.test/',
    startedAt: 1000, openedAt: 1010, state: 'open', errored: false, sentCount: 0, receivedCount: 0, sentBytes: 0, receivedBytes: 0, lastSeq: 1, rowCount: 1, handshake,
  };
  const session = { id: 's', tabId: 1, pageUrl: 'https://a.test/', title: 't', startedAt: 1000, lastActivity: 1000, source: 'captured' as const, connectionCount: 1, frameCount: 0, bytes: 0, rowCount: 1 };
  const harText = (includeSecrets: boolean) => {
    const writer = new HarWriter({ name: 't', version: '1' }, { includeSecrets });
    return writer.start(session) + writer.connectionStart(connection) + writer.connectionEnd() + writer.end();
  };

  it('HAR export writes the headers with Cookie, Set-Cookie and Authorization hidden, and HAR import reads them back', () => {
    const file = JSON.parse(harText(false));
    const entry = file.log.entries[0];
    expect(entry.response.status).toBe(101);
    expect(entry.request.headers).toContainEqual({ name: 'Sec-WebSocket-Version', value: '13' });
    expect(entry.request.headers).toContainEqual({ name: 'Cookie', value: HIDDEN_VALUE });
    expect(entry.request.headers).toContainEqual({ name: 'Authorization', value: HIDDEN_VALUE });
    expect(entry.response.headers).toContainEqual({ name: 'set-cookie', value: HIDDEN_VALUE });
    expect(JSON.stringify(file)).not.toContain('session=secret');
    expect(JSON.stringify(file)).not.toContain('Bearer');
    expect(entry._wsInspector.handshake).toBeUndefined();
    const back = readHar(file).connections[0];
    expect(back.handshake).toMatchObject({ status: 101, source: 'har', method: 'GET' });
    expect(back.handshake!.requestHeaders).toContainEqual({ name: 'Sec-WebSocket-Version', value: '13' });
    expect(back.handshake!.responseHeaders).toContainEqual({ name: 'Sec-WebSocket-Accept', value: 'abc=' });
  });

  it('keeps the secrets when asked', () => {
    const back = readHar(JSON.parse(harText(true))).connections[0];
    expect(back.handshake!.requestHeaders).toEqual(handshake.requestHeaders);
    expect(back.handshake!.responseHeaders).toEqual(handshake.responseHeaders);
  });

  it('.wsi.json keeps the handshake (secrets hidden unless asked) and reads it back', () => {
    for (const includeSecrets of [false, true]) {
      const writer = new WsiWriter({ scope: 'session', exportedAt: 'x', exporter: 't' }, { includeSecrets });
      const text = writer.start(session) + writer.connectionStart(connection) + writer.connectionEnd() + writer.end();
      const back = readWsi(JSON.parse(text)).connections[0];
      expect(back.handshake!.status).toBe(101);
      expect(back.handshake!.requestHeaders.find((h) => h.name === 'Cookie')!.value).toBe(includeSecrets ? 'session=secret' : HIDDEN_VALUE);
    }
  });

  it('a HAR entry of a refused upgrade imports as an error with its status', () => {
    const file = JSON.parse(harText(true));
    file.log.entries[0].response.status = 403;
    file.log.entries[0].response.statusText = 'Forbidden';
    const back = readHar(file).connections[0];
    expect(back.state).toBe('error');
    expect(back.handshake!.status).toBe(403);
  });
});
