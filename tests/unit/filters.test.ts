import { describe, expect, it } from 'vitest';
import type { FrameRecord } from '@/lib/shared/records';
import { bothMatch, compileFilter, emptyFilter, isEmptyFilter, parseSavedFilters, regexError, searchableText, upsertSavedFilter } from '@/lib/shared/filters';

const base = { sessionId: 's', connectionId: 'c', time: 0, size: 0 };
const textSent: FrameRecord = { ...base, seq: 1, kind: 'frame', dir: 'send', opcode: 1, data: '{"type":"Hello"}' };
const textReceived: FrameRecord = { ...base, seq: 2, kind: 'frame', dir: 'receive', opcode: 1, data: 'pong 42' };
const binary: FrameRecord = { ...base, seq: 3, kind: 'frame', dir: 'receive', opcode: 2, data: new TextEncoder().encode('\u0001price=12').buffer as ArrayBuffer };
const open: FrameRecord = { ...base, seq: 4, kind: 'open', protocol: 'chat.v2' };
const close: FrameRecord = { ...base, seq: 5, kind: 'close', code: 4001, reason: 'Going away' };
const error: FrameRecord = { ...base, seq: 6, kind: 'error' };
const all = [textSent, textReceived, binary, open, close, error];

const kept = (filter: Parameters<typeof compileFilter>[0]) => {
  const { matches } = compileFilter(filter);
  return all.filter((r) => (matches ? matches(r) : true)).map((r) => r.seq);
};

describe('compileFilter', () => {
  it('matches everything when empty', () => {
    expect(compileFilter(emptyFilter()).matches).toBeNull();
    expect(isEmptyFilter(emptyFilter())).toBe(true);
    expect(isEmptyFilter({ ...emptyFilter(), contains: 'x' })).toBe(false);
  });

  it('filters by direction, hiding control rows', () => {
    expect(kept({ ...emptyFilter(), direction: 'send' })).toEqual([1]);
    expect(kept({ ...emptyFilter(), direction: 'receive' })).toEqual([2, 3]);
  });

  it('filters by type', () => {
    expect(kept({ ...emptyFilter(), types: { text: true, binary: false, events: false } })).toEqual([1, 2]);
    expect(kept({ ...emptyFilter(), types: { text: false, binary: true, events: false } })).toEqual([3]);
    expect(kept({ ...emptyFilter(), types: { text: false, binary: false, events: true } })).toEqual([4, 5, 6]);
  });

  it('finds text in payloads, binary read as UTF-8, close reasons and protocols; case-insensitive unless asked', () => {
    expect(kept({ ...emptyFilter(), contains: 'hello' })).toEqual([1]);
    expect(kept({ ...emptyFilter(), contains: 'hello', matchCase: true })).toEqual([]);
    expect(kept({ ...emptyFilter(), contains: 'price=' })).toEqual([3]);
    expect(kept({ ...emptyFilter(), contains: 'going' })).toEqual([5]);
    expect(kept({ ...emptyFilter(), contains: '4001' })).toEqual([5]);
    expect(kept({ ...emptyFilter(), contains: 'chat.v2' })).toEqual([4]);
  });

  it('applies a regular expression and combines parts with AND', () => {
    expect(kept({ ...emptyFilter(), regex: '\\d{2}' })).toEqual([2, 3, 5]);
    expect(kept({ ...emptyFilter(), regex: '\\d{2}', direction: 'receive', types: { text: false, binary: true, events: true } })).toEqual([3]);
    expect(kept({ ...emptyFilter(), regex: '^PONG', matchCase: false })).toEqual([2]);
    expect(kept({ ...emptyFilter(), regex: '^PONG', matchCase: true })).toEqual([]);
  });

  it('reports an invalid regular expression and ignores it', () => {
    const compiled = compileFilter({ ...emptyFilter(), regex: '(unclosed' });
    expect(compiled.regexError).toMatch(/^Invalid regular expression: .+/);
    expect(compiled.matches).toBeNull();
    expect(regexError('a+')).toBeUndefined();
    expect(kept({ ...emptyFilter(), regex: '[', direction: 'send' })).toEqual([1]);
  });

  it('a global-looking pattern is stateless across rows', () => {
    const { matches } = compileFilter({ ...emptyFilter(), regex: 'o' });
    expect([matches!(textSent), matches!(textSent), matches!(textReceived)]).toEqual([true, true, true]);
  });
});

describe('searchableText', () => {
  it('describes each row kind', () => {
    expect(searchableText(binary)).toBe('\u0001price=12');
    expect(searchableText(close)).toBe('4001 Going away');
    expect(searchableText(error)).toBe('');
  });
});

describe('saved filters', () => {
  it('round-trips, replaces by name and drops malformed entries', () => {
    let list = upsertSavedFilter([], ' errors ', { ...emptyFilter(), contains: 'error' });
    list = upsertSavedFilter(list, 'acks', { ...emptyFilter(), regex: 'ack' });
    list = upsertSavedFilter(list, 'errors', { ...emptyFilter(), contains: 'fail' });
    expect(list.map((s) => [s.name, s.filter.contains || s.filter.regex])).toEqual([['acks', 'ack'], ['errors', 'fail']]);
    const stored = JSON.parse(JSON.stringify([...list, null, { name: '' }, { name: 'x', filter: 'no' }, { name: 'odd', filter: { direction: 'sideways', types: { text: false } } }]));
    const parsed = parseSavedFilters(stored);
    expect(parsed.map((s) => s.name)).toEqual(['acks', 'errors', 'odd']);
    expect(parsed[2].filter).toEqual({ direction: 'all', types: { text: false, binary: true, events: true }, contains: '', regex: '', matchCase: false });
    expect(parseSavedFilters('nope')).toEqual([]);
  });

  it('bothMatch lets through what both matchers do, a missing one meaning every row', () => {
    const sent = (row: FrameRecord) => row.dir === 'send';
    const text = (row: FrameRecord) => row.opcode === 1;
    const rows = [textSent, { ...textSent, seq: 2, opcode: 2 as const }, { ...textSent, seq: 3, dir: 'receive' as const }];
    expect(rows.filter(bothMatch(sent, text)!)).toEqual([rows[0]]);
    expect(bothMatch(sent, null)).toBe(sent);
    expect(bothMatch(null, text)).toBe(text);
    expect(bothMatch(null, null)).toBeNull();
  });
});
