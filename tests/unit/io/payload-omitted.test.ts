/**
 * A frame whose payload was not stored (its session reached the payload cap while the page was open) travels
 * through both formats without becoming a different frame: its opcode, size and note survive, and our own
 * export reads back.
 */
import { describe, expect, it } from 'vitest';
import type { FrameRecord } from '../../../lib/shared/records';
import { readWsiRow, wsiRow } from '../../../lib/io/formats/wsi-json';
import { harMessage } from '../../../lib/io/formats/har';
import { portableToChunkRow } from '../../../lib/io/imported-records';

const capped = (opcode: 1 | 2): FrameRecord => ({
  sessionId: 's', connectionId: 'c', seq: 7, time: 1000, kind: 'frame', dir: 'receive', opcode, size: 5000,
  origin: 'page', status: 'sent', note: 'payload not stored: session over its 256 MiB cap',
});

describe('a frame without its payload', () => {
  for (const opcode of [1, 2] as const) {
    it(`(opcode ${opcode}) exports to .wsi.json and reads back with its size, note and no payload`, () => {
      const written = JSON.parse(JSON.stringify(wsiRow(capped(opcode))));
      expect(written).toMatchObject({ opcode, data: '', size: 5000, payloadOmitted: true, encoding: opcode === 1 ? 'text' : 'base64' });
      const read = readWsiRow(written, 'rows[0]');
      expect(read).toMatchObject({ opcode, size: 5000, payloadOmitted: true, note: capped(opcode).note });
      const stored = portableToChunkRow(read, 'c', 0);
      expect(stored.data).toBeUndefined();
      expect(stored.size).toBe(5000);
    });
  }

  it('refuses payloadOmitted with data, and a negative size', () => {
    const row = { ...JSON.parse(JSON.stringify(wsiRow(capped(1)))) };
    expect(() => readWsiRow({ ...row, data: 'x' }, 'rows[3]')).toThrow(/rows\[3\]\.data.*payloadOmitted/);
    expect(() => readWsiRow({ ...row, size: -1 }, 'rows[3]')).toThrow(/rows\[3\]\.size/);
  });

  it('keeps its opcode in HAR (a text frame stays opcode 1)', () => {
    expect(harMessage(capped(1))).toEqual({ type: 'receive', time: 1, opcode: 1, data: '' });
    expect(harMessage(capped(2))).toEqual({ type: 'receive', time: 1, opcode: 2, data: '' });
  });
});
