import { describe, expect, it } from 'vitest';
import { codeRows, connectionReader, previousOfKind } from '@/lib/panel/conversation-rows';
import { getRow } from '@/lib/store/frame-store';
import type { FrameRecord } from '@/lib/shared/records';
import { connect, frame, freshDb, store } from './fixtures';

// frame(): odd seqs are sent, even seqs received; payload m<seq>.
async function seeded() {
  const db = await freshDb();
  await store(db, 's', [connect('a'), connect('b'), ...Array.from({ length: 10 }, (_, i) => frame('a', i + 1)), frame('b', 1, 'other')]);
  return db;
}

describe('conversation-rows', () => {
  it('codeRows: a connection’s sent frames, a range of them, or one message whatever its direction', async () => {
    const db = await seeded();
    const data = (r: { rows: FrameRecord[] }) => r.rows.map((x) => x.data);
    expect(data(await codeRows(db, 's', { connectionId: 'a' }))).toEqual(['m1', 'm3', 'm5', 'm7', 'm9']);
    expect(data(await codeRows(db, 's', { connectionId: 'a', fromSeq: 3, toSeq: 7 }))).toEqual(['m3', 'm5', 'm7']);
    expect(data(await codeRows(db, 's', { connectionId: 'a', fromSeq: 4, toSeq: 4, single: true }))).toEqual(['m4']);
    expect(await codeRows(db, 's', { connectionId: 'a' }, 2)).toMatchObject({ truncated: true, rows: [{ data: 'm1' }, { data: 'm3' }] });
  });

  it('previousOfKind: the latest earlier row of the same connection, direction and kind', async () => {
    const db = await seeded();
    const row = (await getRow(db, 's', 'a', 7))!;
    const kindOf = (r: FrameRecord) => (Number(String(r.data).slice(1)) % 4 === 1 ? 'x' : 'y');
    // Sent rows before 7: 5 (kind x), 3 (y), 1 (x).
    expect((await previousOfKind(connectionReader(db, 's'), row, 'x', kindOf))?.seq).toBe(5);
    expect((await previousOfKind(connectionReader(db, 's'), row, 'y', kindOf))?.seq).toBe(3);
    expect(await previousOfKind(connectionReader(db, 's'), row, 'z', kindOf)).toBeUndefined();
  });
});
