import './runes';
import { describe, expect, it } from 'vitest';
import { DecodingState } from '@/lib/panel/decoding-state.svelte';
import { decoderOverrideKey } from '@/lib/panel/panel-settings';
import { listConnections, readConnectionRows, writeEvents } from '@/lib/store/frame-store';
import { DETECT_FRAMES } from '@/lib/decoders';
import { connect, frame, freshDb, memorySettings, store } from './fixtures';

const json = (n: number) => JSON.stringify({ type: n % 2 ? 'ping' : 'chat', n });

describe('DecodingState', () => {
  it('detects each connection’s decoder from its first rows, once, and decodes its rows', async () => {
    const db = await freshDb();
    await store(db, 's', [connect('j'), connect('t'), connect('empty'), frame('j', 1, json(1)), frame('j', 2, json(2)), frame('t', 1, 'hello there')]);
    const decoding = new DecodingState(memorySettings());
    const connections = await listConnections(db, 's');
    expect(await decoding.detect(db, 's', connections)).toBe(true);
    expect(decoding.decodingVersion).toBe(1);
    expect(decoding.detectionOf('j')?.id).toBe('json');
    expect(decoding.detectionOf('t')?.id).toBeNull();
    expect(decoding.detectionOf('empty')).toBeUndefined();
    expect(decoding.decoderIdsInUse(['j', 't', 'empty'])).toEqual({ j: 'json' });
    const [first] = await readConnectionRows(db, 's', 'j', 0, 1);
    expect(decoding.decodedOf(first)).toMatchObject({ ok: true, decoderId: 'json' });
    expect(decoding.summaryOf(first)).not.toBe('');
    const [plain] = await readConnectionRows(db, 's', 't', 0, 1);
    expect(decoding.decodedOf(plain)).toBeUndefined();
    expect(decoding.summaryOf(plain)).toBe('');
    // Nothing new: nothing read again, nothing changed.
    expect(await decoding.detect(db, 's', connections)).toBe(false);
    expect(decoding.decodingVersion).toBe(1);
  });

  it('tries again while a connection has fewer than DETECT_FRAMES rows and nothing was found', async () => {
    const db = await freshDb();
    await store(db, 's', [connect('c'), frame('c', 1, 'not json')]);
    const decoding = new DecodingState(memorySettings());
    expect(await decoding.detect(db, 's', await listConnections(db, 's'))).toBe(false);
    expect(decoding.detectionOf('c')?.id).toBeNull();
    await writeEvents(db, 's', 'https://x/', Array.from({ length: DETECT_FRAMES }, (_, i) => frame('c', i + 2, json(i))));
    // Detection reads the first rows again; a connection whose first row is not JSON stays undecoded, but it was looked at.
    const before = decoding.detectionOf('c');
    await decoding.detect(db, 's', await listConnections(db, 's'));
    expect(decoding.detectionOf('c')).not.toBe(before);
  });

  it('uses and keeps the user’s "Decode as" choice', async () => {
    const db = await freshDb();
    await store(db, 's', [connect('c'), frame('c', 1, 'plain text')]);
    const settings = memorySettings();
    const decoding = new DecodingState(settings);
    await decoding.detect(db, 's', await listConnections(db, 's'));
    await decoding.setOverride('c', 'json');
    expect(decoding.decodingVersion).toBe(1);
    expect(settings.values.get(decoderOverrideKey('c'))).toBe('json');
    expect(decoding.decoderIdsInUse(['c'])).toEqual({ c: 'json' });

    // A panel opened later reads the stored choice when it first detects (before the view is built).
    const later = new DecodingState(settings);
    await later.detect(db, 's', await listConnections(db, 's'));
    expect(later.decoderIdsInUse(['c'])).toEqual({ c: 'json' });
    await later.setOverride('c', null);
    expect(settings.values.has(decoderOverrideKey('c'))).toBe(false);
    expect(later.decoderIdsInUse(['c'])).toEqual({});
  });

  it('matches decoded fields; a blank query matches everything (no matcher)', async () => {
    const db = await freshDb();
    await store(db, 's', [connect('c'), frame('c', 1, json(1)), frame('c', 2, json(2))]);
    const decoding = new DecodingState(memorySettings());
    await decoding.detect(db, 's', await listConnections(db, 's'));
    expect(decoding.matcher('  ')).toBeNull();
    const matches = decoding.matcher('type:chat')!;
    const rows = await readConnectionRows(db, 's', 'c', 0, 10);
    expect(rows.filter(matches).map((r) => r.seq)).toEqual([2]);
  });

  it('starts again after reset, and ignores a detection that finishes after it', async () => {
    const db = await freshDb();
    await store(db, 's', [connect('c'), frame('c', 1, json(1))]);
    const decoding = new DecodingState(memorySettings());
    const connections = await listConnections(db, 's');
    const running = decoding.detect(db, 's', connections);
    decoding.reset();
    expect(await running).toBe(false);
    expect(decoding.detectionOf('c')).toBeUndefined();
    expect(await decoding.detect(db, 's', connections)).toBe(true);
    expect(await decoding.detect(undefined, 's', connections)).toBe(false);
  });
});
