import { describe, expect, it } from 'vitest';
import { hexDump, renderPayload } from '../../cli/payload-print';
import { diffReplies } from '../../cli/reply-diff';
import { chooseConnection, parseTiming, replayScript } from '../../cli/replay-script';
import type { PortableConnection, PortableSession } from '../../lib/io/formats/model';

function connection(url: string, rows: PortableConnection['rows']): PortableConnection {
  return { url, protocols: [], protocol: '', extensions: '', frameUrl: '', pageUrl: '', startedAt: 0, state: 'closed', errored: false, rows };
}
const session = (connections: PortableConnection[]): PortableSession => ({ format: 'wsi', pageUrl: '', title: '', startedAt: 0, connections, warnings: [] });
const text = (seq: number, time: number, dir: 'send' | 'receive', data: string) => ({ seq, time, kind: 'frame' as const, dir, opcode: 1 as const, encoding: 'text' as const, data });

describe('replay script', () => {
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
    const plan = replayScript(s, { timing: { mode: 'original' } });
    expect(plan.sends.map((m) => [m.text, m.at])).toEqual([['one', 50], ['two', 300]]);
    expect(plan.lastReplyAt).toBe(60);
    expect(replayScript(s, { timing: { mode: 'fixed', delayMs: 20 } }).sends.map((m) => m.at)).toEqual([0, 20]);
    expect(replayScript(s, { connection: 'quiet', timing: { mode: 'fast' } }).expected).toEqual([{ opcode: 1, text: 'x' }]);
  });

  it('reads --timing into the replay-timing plan the panel uses', () => {
    expect(parseTiming('original')).toEqual({ mode: 'original' });
    expect(parseTiming('none')).toEqual({ mode: 'fast' });
    expect(parseTiming('250')).toEqual({ mode: 'fixed', delayMs: 250 });
    expect(() => parseTiming('fast')).toThrow('expected original, none or a number of milliseconds');
    const fast = replayScript(s, { timing: parseTiming('none') });
    expect([fast.sends.map((m) => m.at), fast.lastReplyAt]).toEqual([[0, 0], 0]);
  });

  it('never waits before the open when a recorded clock goes backwards', () => {
    const skewed = session([connection('wss://c.test', [{ seq: 1, time: 100, kind: 'open' }, text(2, 90, 'send', 'early'), text(3, 95, 'receive', 'r')])]);
    const script = replayScript(skewed, { timing: { mode: 'original' } });
    expect([script.sends[0].at, script.lastReplyAt]).toEqual([0, 0]);
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
