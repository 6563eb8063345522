import './runes';
import { describe, expect, it } from 'vitest';
import { CompareMark } from '@/lib/panel/compare-state.svelte';

describe('CompareMark', () => {
  it('marks a row of a session and offers it only in that session', () => {
    const mark = new CompareMark();
    expect(mark.markedIn('s1')).toBeNull();
    mark.mark({ sessionId: 's1', connectionId: 'c', seq: 4 });
    expect(mark.markedIn('s1')).toEqual({ sessionId: 's1', connectionId: 'c', seq: 4 });
    expect(mark.markedIn('s2')).toBeNull();
    expect(mark.isMarked({ sessionId: 's1', connectionId: 'c', seq: 4 })).toBe(true);
    expect(mark.isMarked({ sessionId: 's1', connectionId: 'c', seq: 5 })).toBe(false);
    expect(mark.isMarked({ sessionId: 's1', connectionId: 'd', seq: 4 })).toBe(false);
    mark.mark({ sessionId: 's1', connectionId: 'd', seq: 1 });
    expect(mark.isMarked({ sessionId: 's1', connectionId: 'c', seq: 4 })).toBe(false);
    mark.clear();
    expect(mark.markedIn('s1')).toBeNull();
  });
});
