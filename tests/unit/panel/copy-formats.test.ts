import { describe, expect, it } from 'vitest';
import { copyFormats } from '@/lib/panel/copy-formats';
import type { FrameRecord } from '@/lib/shared/records';

const frame = (data: string | ArrayBuffer | undefined) => ({ kind: 'frame', dir: 'send', opcode: typeof data === 'string' ? 1 : 2, data, size: 0, seq: 3, time: 0 }) as unknown as FrameRecord;

describe('copyFormats', () => {
  it('text JSON: payload as is, JSON pretty, base64 and hex of its UTF-8 bytes', () => {
    const f = copyFormats(frame('{"a":[1,"é"]}'));
    expect(f.payload).toBe('{"a":[1,"é"]}');
    expect(f.json).toBe('{\n  "a": [\n    1,\n    "é"\n  ]\n}');
    expect(f.base64).toBe(Buffer.from('{"a":[1,"é"]}').toString('base64'));
    expect(f.hex).toBe(Buffer.from('{"a":[1,"é"]}').toString('hex'));
  });

  it('text that is not JSON has no JSON form, and says why', () => {
    const f = copyFormats(frame('hi {'));
    expect(f.json).toBeUndefined();
    expect(f.why.json).toBe('The payload is not JSON');
    expect(f.hex).toBe('6869207b');
  });

  it('binary: a hex dump as payload, base64 and hex of the bytes, no JSON', () => {
    const f = copyFormats(frame(new Uint8Array([0x48, 0x69, 0x00, 0xff]).buffer));
    expect(f.payload).toContain('48 69 00 ff');
    expect(f.base64).toBe('SGkA/w==');
    expect(f.hex).toBe('486900ff');
    expect(f.json).toBeUndefined();
    expect(f.why.json).toBe('A binary payload is not JSON');
  });

  it('event rows copy their record; a payload not stored copies nothing', () => {
    const open = copyFormats({ kind: 'open', seq: 0, time: 0, protocol: '' } as unknown as FrameRecord, 'ws://x/');
    expect(JSON.parse(open.payload)).toMatchObject({ kind: 'open', url: 'ws://x/' });
    expect(open.base64).toBeUndefined();
    expect(open.why.bytes).toBe('An event row has no payload');
    expect(copyFormats(frame(undefined)).why.bytes).toBe('The payload was not stored');
  });
});
