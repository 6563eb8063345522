import { describe, expect, it } from 'vitest';
import { rowMarks } from '../../lib/panel/message-format';
import type { FrameRecord } from '../../lib/shared/records';

const base: FrameRecord = { sessionId: 's', connectionId: 'c', seq: 1, time: 0, kind: 'frame', dir: 'send', data: 'x', size: 1, origin: 'page', status: 'sent' };

describe('rule marks', () => {
  it('names the rule that blocked or changed a frame', () => {
    expect(rowMarks({ ...base, status: 'blocked', rule: 'no ads' })).toEqual(['blocked: no ads']);
    expect(rowMarks({ ...base, original: 'before', rule: 'rename' })).toEqual(['modified: rename']);
    expect(rowMarks({ ...base, rule: 'held only' })).toEqual([]);
  });
});
