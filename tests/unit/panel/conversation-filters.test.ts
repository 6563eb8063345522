import './runes';
import { describe, expect, it, vi } from 'vitest';
import { FiltersState, type ConversationFacts } from '@/lib/panel/filters-state.svelte';
import { ColumnsState } from '@/lib/panel/columns-state.svelte';
import { CELL_EXTRA_PX, GRID_COLUMNS, columnById, fitWidths, formatLatency, type CellContext, type HeaderContext } from '@/lib/panel/grid-columns';
import type { FrameRecord } from '@/lib/shared/records';
import { memorySettings } from './fixtures';

const row = (seq: number) => ({ kind: 'frame', connectionId: 'c', seq, dir: 'send', opcode: 1, data: `m${seq}`, size: 2 }) as unknown as FrameRecord;

/** Rows 1↔2 a pair of 40 ms, 3↔4 of 150 ms, 5 unanswered, 6 a heartbeat, 7 nothing. */
const facts: ConversationFacts = {
  pairOf: (r) => ({ 1: 40, 2: 40, 3: 150, 4: 150 } as Record<number, number | undefined>)[r.seq] !== undefined ? { latencyMs: ({ 1: 40, 2: 40, 3: 150, 4: 150 } as Record<number, number>)[r.seq] } : undefined,
  isUnanswered: (r) => r.seq === 5,
  isHeartbeat: (r) => r.seq === 6,
};

function harness() {
  const changed = vi.fn(async () => undefined);
  const filters = new FiltersState({ settings: memorySettings(), changed, notify: () => undefined, conversation: facts });
  const shown = () => {
    const m = filters.compile();
    return [1, 2, 3, 4, 5, 6, 7].filter((seq) => !m || m(row(seq)));
  };
  return { filters, changed, shown };
}

describe('conversation filters', () => {
  it('unanswered requests, slower than N ms and hide heartbeats, each and together (AND), and reset', async () => {
    const h = harness();
    expect(h.filters.compile()).toBeNull();
    await h.filters.setUnansweredOnly(true);
    expect(h.shown()).toEqual([5]);
    await h.filters.setUnansweredOnly(false);
    await h.filters.setSlowerThan(100);
    expect(h.shown()).toEqual([3, 4]);
    await h.filters.setSlowerThan(10);
    expect(h.shown()).toEqual([1, 2, 3, 4]);
    await h.filters.setSlowerThan(Number.NaN); // an empty or bad field: any latency
    expect(h.filters.slowerThanMs).toBeNull();
    await h.filters.setHideHeartbeats(true);
    expect(h.shown()).toEqual([1, 2, 3, 4, 5, 7]);
    await h.filters.setSlowerThan(100);
    expect(h.shown()).toEqual([3, 4]);
    await h.filters.setFilter({ contains: 'm4' });
    expect(h.shown()).toEqual([4]);
    expect(h.filters.usesConversation).toBe(true);
    const calls = h.changed.mock.calls.length;
    await h.filters.setHideHeartbeats(true); // no change, no rebuild
    expect(h.changed).toHaveBeenCalledTimes(calls);
    await h.filters.resetFilter();
    expect(h.filters.usesConversation).toBe(false);
    expect(h.filters.compile()).toBeNull();
  });
});

describe('Latency column and widths', () => {
  const ctx = (pair?: CellContext['pair'], unanswered = false): CellContext => ({ timeMode: 'absolute', connectionStart: 0, connectionLabel: '#1', summary: '', pair, unanswered });
  const latency = columnById('latency')!;

  it('says which way the pair goes and how long it took, "no reply" on an unanswered request; shows only with pairs', () => {
    expect(latency.text(row(1), ctx({ role: 'request', partnerSeq: 2, latencyMs: 42.4, label: 'get' }))).toBe('↪ 42 ms');
    expect(latency.text(row(2), ctx({ role: 'response', partnerSeq: 1, latencyMs: 42.4, label: 'get' }))).toBe('↩ 42 ms');
    expect(latency.title!(row(2), ctx({ role: 'response', partnerSeq: 1, latencyMs: 42.4, label: 'get' }))).toMatch(/^Request: #1, 42 ms \(get\)/);
    expect(latency.text(row(5), ctx(undefined, true))).toBe('no reply');
    expect(latency.text(row(7), ctx())).toBe('');
    expect(formatLatency(1234)).toBe('1.23 s');
    expect(formatLatency(12_345)).toBe('12.3 s');
    const columns = new ColumnsState(memorySettings());
    const ids = (c: HeaderContext) => columns.visible(c).map((x) => x.id);
    expect(ids({ timeMode: 'absolute', allConnections: false })).not.toContain('latency');
    expect(ids({ timeMode: 'absolute', allConnections: false, hasPairs: true })).toEqual(['dir', 'time', 'size', 'type', 'latency', 'summary', 'data']);
  });

  it('Time is as wide as its format needs, and a width dragged for one format stays with it', () => {
    const columns = new ColumnsState(memorySettings());
    const at = (timeMode: HeaderContext['timeMode']): HeaderContext => ({ timeMode, allConnections: true });
    expect([columns.width('time', at('absolute')), columns.width('time', at('iso')), columns.width('time', at('epoch')), columns.width('time', at('relative'))]).toEqual([92, 175, 110, 92]);
    columns.resize('time', 150, at('absolute'));
    expect(columns.width('time', at('absolute'))).toBe(150);
    expect(columns.width('time', at('iso'))).toBe(175);
    columns.resize('time', 200, at('iso'));
    expect(columns.widthChoice).toEqual({ time: 150, 'time.iso': 200 });
  });

  it('fits a narrow grid: Summary gives way first and then leaves, then Size, Type, Conn, then Time and Latency; Data keeps its width', () => {
    const own = (c: (typeof GRID_COLUMNS)[number]) => c.width;
    const sum = (w: Record<string, number>) => Object.values(w).reduce((a, b) => a + b + CELL_EXTRA_PX, 0);
    const columns = GRID_COLUMNS.filter((c) => c.id !== 'conn' && c.id !== 'latency');
    expect(fitWidths(columns, own, 2000)).toEqual(Object.fromEntries(columns.map((c) => [c.id, c.width])));
    const needed = sum(Object.fromEntries(columns.map((c) => [c.id, c.width])));
    // 100 px short: Summary alone gives them.
    const short = fitWidths(columns, own, needed - 100);
    expect(short).toMatchObject({ summary: 60, data: 120, time: 92, size: 64 });
    // 415 px (430 minus a scrollbar): no room for Summary even at its minimum: it leaves; the rest keep theirs.
    const narrow = fitWidths(columns, own, 415);
    expect('summary' in narrow).toBe(false);
    expect(narrow).toMatchObject({ dir: 16, time: 92, size: 64, type: 44, data: 120 });
    // Every column, Latency too, in 430 px: Size, Type and Conn to their minimum, then Time and Latency give the rest.
    const all = fitWidths(GRID_COLUMNS, own, 430);
    expect(all).toMatchObject({ dir: 16, conn: 24, size: 32, type: 32, data: 120 });
    expect(all.time).toBeGreaterThanOrEqual(75);
    expect(all.latency).toBeGreaterThanOrEqual(56);
    expect(sum(all)).toBeLessThanOrEqual(430);
  });
});
