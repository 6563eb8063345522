import './runes';
import { describe, expect, it, vi } from 'vitest';
import { FiltersState } from '@/lib/panel/filters-state.svelte';
import type { DecodeOutcome } from '@/lib/decoders';
import type { FrameRecord } from '@/lib/shared/records';
import { memorySettings } from './fixtures';

const row = (data: string, dir: 'send' | 'receive' = 'send') => ({ kind: 'frame', dir, opcode: 1, data, size: data.length }) as unknown as FrameRecord;

function harness(decoded?: (row: FrameRecord) => DecodeOutcome | undefined) {
  const changed = vi.fn(async () => undefined);
  const filters = new FiltersState({ settings: memorySettings(), changed, notify: () => undefined, decoded });
  return { filters, changed };
}

describe('FiltersState hidden kinds', () => {
  it('hides exactly the kind of a row, both ways, keeps events, and shows it again', async () => {
    const { filters, changed } = harness();
    await filters.hideKind(filters.kindOf(row('{"type":"tick","n":1}'))!);
    const matches = filters.compile()!;
    expect(matches(row('{"n":5,"type":"tock"}', 'receive'))).toBe(false);
    expect(matches(row('{"type":"tick"}'))).toBe(true);
    expect(matches(row('plain'))).toBe(true);
    expect(matches({ kind: 'open' } as unknown as FrameRecord)).toBe(true);
    expect(filters.hiddenKinds.map((k) => k.label)).toEqual(['JSON {n, type}']);
    await filters.hideKind(filters.kindOf(row('{"type":"x","n":0}'))!); // the same kind again: nothing changes
    expect(filters.hiddenKinds).toHaveLength(1);
    expect(changed).toHaveBeenCalledTimes(1);
    await filters.showKind(filters.hiddenKinds[0].key);
    expect(filters.compile()).toBeNull();
  });

  it('ANDs hidden kinds with the frame filter, and showKind() without a key shows every kind', async () => {
    const { filters } = harness();
    await filters.setFilter({ contains: 'a' });
    await filters.hideKind(filters.kindOf(row('plain'))!);
    await filters.hideKind(filters.kindOf(row('{"a":1}'))!);
    const matches = filters.compile()!;
    expect(matches(row('{"a":1}'))).toBe(false);
    expect(matches(row('{"a":1,"b":2}'))).toBe(true);
    expect(matches(row('{"b":2}'))).toBe(false); // the text filter still applies
    await filters.showKind();
    expect(filters.hiddenKinds).toEqual([]);
  });

  it('uses the decoded type when the panel decodes', async () => {
    const decode = (r: FrameRecord): DecodeOutcome => ({ ok: true, decoderId: 'socketio', summary: '', tree: { label: '' }, fields: { type: 'EVENT', event: String(r.data).includes('chat') ? 'chat' : 'join' } });
    const { filters } = harness(decode);
    await filters.hideKind(filters.kindOf(row('42["chat",1]'))!);
    const matches = filters.compile()!;
    expect(matches(row('42["chat",2]'))).toBe(false);
    expect(matches(row('42["join"]'))).toBe(true);
  });
});
