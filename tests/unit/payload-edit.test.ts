import { describe, expect, it } from 'vitest';
import { base64ToBytesChecked, bytesToHex, checkJson, compactJson, convertBinaryText, hexToBytes, prettyPrintJson, toEncodedPayload } from '../../lib/payload-edit';

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
});
