import { describe, expect, it } from 'vitest';
import { actOnPayload, base64ToBytesChecked, bytesToHex, checkJson, compactJson, convertBinaryText, hexToBytes, prettyPrintJson, toEncodedPayload } from '../../lib/panel/payload-edit';
import type { WireCommand } from '../../lib/shared/protocol';

describe('JSON', () => {
  it('validates JSON-looking text and leaves other text alone', () => {
    expect(checkJson('{"a":1}')).toEqual({ ok: true });
    expect(checkJson('hello')).toBeUndefined();
    const bad = checkJson('{"a":}');
    expect(bad?.ok).toBe(false);
    expect(bad && !bad.ok && bad.error).toMatch(/^Invalid JSON/);
  });
  it('pretty-prints and compacts', () => {
    expect(prettyPrintJson('{"a":[1,2]}')).toEqual({ ok: true, value: '{\n  "a": [\n    1,\n    2\n  ]\n}' });
    expect(compactJson('{\n "a" : 1 }')).toEqual({ ok: true, value: '{"a":1}' });
    expect(prettyPrintJson('nope').ok).toBe(false);
  });
});

describe('hex', () => {
  it('round-trips bytes, 16 to a line', () => {
    const bytes = Uint8Array.from({ length: 18 }, (_, i) => i * 15);
    const hex = bytesToHex(bytes);
    expect(hex.split('\n')).toHaveLength(2);
    const back = hexToBytes(hex);
    expect(back.ok && [...back.value]).toEqual([...bytes]);
  });
  it('accepts 0x prefixes and separators', () => {
    const parsed = hexToBytes('0x00, 0xff:AB 1');
    expect(parsed.ok).toBe(false);
    const ok = hexToBytes('0x00, 0xff:AB 10');
    expect(ok.ok && [...ok.value]).toEqual([0, 255, 171, 16]);
  });
  it('reports bad digits and odd lengths clearly', () => {
    expect(hexToBytes('00 zz')).toEqual({ ok: false, error: 'Not a hex digit at position 4: "z"' });
    expect(hexToBytes('abc')).toEqual({ ok: false, error: 'Odd number of hex digits (3): each byte needs two.' });
    expect(hexToBytes('')).toEqual({ ok: true, value: new Uint8Array(0) });
  });
});

describe('base64', () => {
  it('decodes standard, URL-safe and unpadded base64', () => {
    const a = base64ToBytesChecked('AAH+/w==');
    const b = base64ToBytesChecked('AAH-_w');
    expect(a.ok && [...a.value]).toEqual([0, 1, 254, 255]);
    expect(b.ok && [...b.value]).toEqual([0, 1, 254, 255]);
  });
  it('reports bad characters, misplaced padding and stray lengths', () => {
    expect(base64ToBytesChecked('AA*A')).toEqual({ ok: false, error: 'Not a base64 character: "*"' });
    expect(base64ToBytesChecked('AA=A')).toMatchObject({ ok: false, error: /padding/ });
    expect(base64ToBytesChecked('AAAAA')).toMatchObject({ ok: false, error: /stray character/ });
  });
  it('converts between hex and base64 keeping the bytes', () => {
    expect(convertBinaryText('00 01 fe ff', 'hex', 'base64')).toEqual({ ok: true, value: 'AAH+/w==' });
    expect(convertBinaryText('AAH+/w==', 'base64', 'hex')).toEqual({ ok: true, value: '00 01 fe ff' });
    expect(convertBinaryText('0', 'hex', 'base64').ok).toBe(false);
  });
});

describe('toEncodedPayload', () => {
  it('encodes text as text and binary as base64', () => {
    expect(toEncodedPayload('hi', 'text')).toEqual({ ok: true, value: { encoding: 'text', payload: 'hi' } });
    expect(toEncodedPayload('00 01 fe ff', 'hex')).toEqual({ ok: true, value: { encoding: 'base64', payload: 'AAH+/w==' } });
    expect(toEncodedPayload('x', 'hex').ok).toBe(false);
  });
  it('refuses text that looks like JSON but does not parse, unless sent as text on purpose (#23)', () => {
    const refused = toEncodedPayload('{"a": ', 'text');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error).toMatch(/^Invalid JSON: .*Send as text anyway/);
    expect(toEncodedPayload('{"a": ', 'text', true)).toEqual({ ok: true, value: { encoding: 'text', payload: '{"a": ' } });
    expect(toEncodedPayload('{"a":1}', 'text').ok).toBe(true);
    expect(toEncodedPayload('not json {', 'text').ok).toBe(true);
  });
});

describe('actOnPayload', () => {
  it('sends the encoded payload as one page command and says how it went', async () => {
    const sent: WireCommand[] = [];
    const ok = async (command: WireCommand) => (sent.push(command), { ok: true });
    expect(await actOnPayload(ok, 'send', 'c1', '00 ff', 'hex')).toEqual({ ok: true, text: 'Sent on the live connection.' });
    expect(await actOnPayload(ok, 'simulate-receive', 'c1', 'hi', 'text')).toEqual({ ok: true, text: 'Delivered to the page as a received message.' });
    expect(sent).toEqual([
      { kind: 'send', connectionId: 'c1', encoding: 'base64', payload: 'AP8=' },
      { kind: 'simulate-receive', connectionId: 'c1', encoding: 'text', payload: 'hi' },
    ]);
  });
  it('sends nothing for a payload that does not parse, and passes on why a command failed', async () => {
    let calls = 0;
    const refused = async () => (calls++, { ok: false, error: 'the connection is closed' });
    const bad = await actOnPayload(refused, 'send', 'c1', 'zz', 'hex');
    expect(bad.ok).toBe(false);
    expect(bad.text).toMatch(/^Not sent: /);
    expect(calls).toBe(0);
    expect(await actOnPayload(refused, 'send', 'c1', 'x', 'text')).toEqual({ ok: false, text: 'Could not send: the connection is closed' });
    const json = await actOnPayload(refused, 'send', 'c1', '[1,', 'text');
    expect(json.text).toMatch(/^Not sent: Invalid JSON/);
    expect(calls).toBe(1);
    expect((await actOnPayload(refused, 'send', 'c1', '[1,', 'text', true)).text).toBe('Could not send: the connection is closed');
    expect(calls).toBe(2);
    expect(await actOnPayload(async () => ({ ok: false }), 'simulate-receive', 'c1', 'x', 'text')).toEqual({ ok: false, text: 'Could not simulate: unknown error' });
  });
});
