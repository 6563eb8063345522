import { describe, expect, it } from 'vitest';
import { connectionMatches, searchConnections } from '@/lib/panel/connection-search';

const list = [
  { id: 'a', number: 1, url: 'wss://api.example/feed' },
  { id: 'b', number: 2, url: 'ws://127.0.0.1:3000/chat' },
  { id: 'c', number: 3, url: 'wss://API.example/chat?room=12' },
];

describe('connection search', () => {
  it('matches every connection when the query is blank', () => {
    expect(searchConnections('  ', list).shown.map((c) => c.id)).toEqual(['a', 'b', 'c']);
  });

  it('"#N" names one connection; a bare number matches it or a URL containing it', () => {
    expect(searchConnections('#3', list).shown.map((c) => c.id)).toEqual(['c']);
    expect(searchConnections('3', list).shown.map((c) => c.id)).toEqual(['b', 'c']);
    expect(searchConnections('#30', list).shown).toEqual([]);
  });

  it('matches any part of the URL, whatever the case', () => {
    expect(searchConnections('api.EXAMPLE', list).shown.map((c) => c.id)).toEqual(['a', 'c']);
    expect(connectionMatches('chat', list[1])).toBe(true);
    expect(connectionMatches('feed', list[1])).toBe(false);
  });

  it('shows at most max options and counts the rest', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ id: String(i), number: i + 1, url: 'ws://x/' }));
    expect(searchConnections('x', many, 4)).toMatchObject({ more: 6 });
    expect(searchConnections('x', many, 4).shown).toHaveLength(4);
  });
});
