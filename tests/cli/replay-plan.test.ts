import { describe, expect, it } from 'vitest';
import { chooseConnection, diffReplies, hexDump, planReplay, renderPayload } from '../../cli/replay-plan';
import type { PortableConnection, PortableSession } from '../../lib/io/formats/model';

function connection(url: string, rows: PortableConnection['rows']): PortableConnection {
  return { url, protocols: [], protocol: '', extensions: '', frameUrl: '', pageUrl: '', startedAt: 0, state: 'closed', errored: false, rows };
}
const session = (connections: PortableConnection[]): PortableSession => ({ format: 'wsi', pageUrl: '', title: '', startedAt: 0, connections, warnings: [] });
const text = (seq: number, time: number, dir: 'send' | 'receive', data: string) => ({ seq, time, kind: 'frame' as const, dir, opcode: 1 as const, encoding: 'text' as const, data });

describe('replay plan', () => {
  const s = session([
    connection('wss://a.test/quiet', [text(1, 5, 'receive', 'x')]),
    connection('wss://b.test/chat', [{ seq: 1, time: 100, kind: 'open' }, text(2, 150, 'send', 'one'), text(3, 160, 'receive', 'r'), text(4, 400, 'send', 'two')]),
  ]);

  it('picks the first connection that sent something, and says so', () => {
    const chosen = chooseConnection(s, undefined);
    expect(chosen.index).toBe(2);
    expect(chosen.notes[0]).toContain('replaying #2 (wss://b.test/chat)');
  });

  it('times sends from the recorded open', () => {
    const plan = planReplay(s, { timing: { kind: 'original' } });
    expect(plan.sends.map((m) => [m.text, m.at])).toEqual([['one', 50], ['two', 300]]);
    expect(plan.lastReplyAt).toBe(60);
    expect(planReplay(s, { timing: { kind: 'fixed', ms: 20 } }).sends.map((m) => m.at)).toEqual([0, 20]);
    expect(planReplay(s, { connection: 'quiet', timing: { kind: 'none' } }).expected).toEqual([{ opcode: 1, text: 'x' }]);
  });
});

describe('printing', () => {
  it('never passes terminal control sequences through', () => {
    expect(renderPayload({ opcode: 1, text: '\u001b[2Jboom' }, '')).toBe('\\u001b[2Jboom');
    expect(renderPayload({ opcode: 1, text: '{"a":"\\u001b"}' }, '')).toBe('{\n  "a": "\\u001b"\n}');
  });

  it('dumps binary as offset, hex and ASCII', () => {
    expect(hexDump(Uint8Array.from([0x41, 0x00, 0xff]))).toBe('00000000  41 00 ff' + ' '.repeat(39) + '  A..');
  });

  it('reports missing and extra replies', () => {
    expect(diffReplies([{ opcode: 1, text: 'a' }], [{ opcode: 1, text: 'a' }])).toBeNull();
    const diff = diffReplies([{ opcode: 1, text: 'a' }, { opcode: 2, bytes: Uint8Array.from([1]) }], [{ opcode: 1, text: 'a' }])!;
    expect(diff).toBe('1 of 2 replies differ from the recording (expected 2, got 1):\n  reply 2 is missing:\n    expected binary 1 B: 01');
    expect(diffReplies([], [{ opcode: 1, text: 'x' }])).toContain('reply 1 was not in the recording:');
  });
});
