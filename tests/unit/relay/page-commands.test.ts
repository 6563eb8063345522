import { describe, expect, it } from 'vitest';
import { PageCommands } from '@/lib/relay/page-commands';
import type { InterceptRule } from '@/lib/shared/intercept-rules';
import { NAMESPACE, type RelayToBackgroundMessage, type RelayToPageMessage, type WireCommand } from '@/lib/shared/protocol';

function setup(topLevel = true) {
  const toPage: RelayToPageMessage[] = [];
  const toBackground: RelayToBackgroundMessage[] = [];
  const commands = new PageCommands({ postToPage: (m) => void toPage.push(m), send: (m) => void toBackground.push(m), topLevel, origin: 'https://app.example' });
  const forwarded = () => toPage.flatMap((m) => (m.type === 'command' ? [m] : []));
  return { commands, toPage, toBackground, forwarded };
}

const breakpoint: InterceptRule = { id: 'b', name: 'bp', enabled: true, action: 'breakpoint', direction: 'both', urlPattern: '', pattern: '', regex: false, replacement: '' };
const rule = (fields: Partial<InterceptRule>): InterceptRule => ({ ...breakpoint, ...fields });
const rulesGiven = (t: ReturnType<typeof setup>) =>
  t.forwarded().flatMap((m) => (m.command.kind === 'set-rules' ? [m.command.rules.map((r) => r.rule.id)] : []));

const send = (connectionId: string, payload = 'hi'): WireCommand => ({ kind: 'send', connectionId, encoding: 'text', payload });

describe('PageCommands', () => {
  it('forwards a command only for a connection this frame\'s hook owns, decoded', () => {
    const t = setup();
    t.commands.forward('r1', send('c1'));
    expect(t.forwarded()).toEqual([]); // another frame's socket
    t.commands.knownConnections.add('c1');
    t.commands.forward('r2', { kind: 'send', connectionId: 'c1', encoding: 'base64', payload: 'AQID' });
    const [command] = t.forwarded();
    expect(command).toMatchObject({ ns: NAMESPACE, requestId: 'r2', command: { kind: 'send', socketId: 'c1' } });
    expect([...new Uint8Array((command.command as { data: ArrayBuffer }).data)]).toEqual([1, 2, 3]);
  });

  it('runs a request delivered twice once', () => {
    const t = setup();
    t.commands.knownConnections.add('c1');
    t.commands.forward('r1', send('c1'));
    t.commands.forward('r1', send('c1'));
    expect(t.forwarded()).toHaveLength(1);
  });

  it('answers a payload that cannot be decoded with a failed result', () => {
    const t = setup();
    t.commands.knownConnections.add('c1');
    t.commands.forward('r1', { kind: 'send', connectionId: 'c1', encoding: 'base64', payload: '%%%' });
    expect(t.forwarded()).toEqual([]);
    expect(t.toBackground).toEqual([{ ns: NAMESPACE, type: 'command-result', requestId: 'r1', ok: false, error: 'The payload is not valid base64.' }]);
  });

  it('releases only holds the hook announced, and forgets them once released', async () => {
    const t = setup();
    const release: WireCommand = { kind: 'release', holdId: 'h1', action: 'forward' };
    t.commands.forward('r1', release);
    expect(t.forwarded()).toEqual([]);
    t.commands.knownConnections.add('c1');
    t.commands.setWatched(true);
    t.commands.applyRules({ rules: [breakpoint] });
    t.toPage.length = 0;
    await t.commands.forwardNotice({ kind: 'held', holdId: 'h1', connectionId: 'c1', dir: 'send', data: new Uint8Array([255]).buffer, rule: 'r', time: 1 });
    expect(t.toBackground[0]).toMatchObject({ type: 'page-notice', notice: { kind: 'held', data: { encoding: 'base64', payload: '/w==' } } });
    t.commands.forward('r2', release);
    expect(t.forwarded()).toHaveLength(1);
    await t.commands.forwardNotice({ kind: 'released', holdId: 'h1', connectionId: 'c1', outcome: 'forwarded' });
    t.commands.forward('r3', release);
    expect(t.forwarded()).toHaveLength(1);
  });

  it('replays open from the top frame only', () => {
    const replay: WireCommand = { kind: 'replay', replayId: 'p', url: 'wss://x/', protocols: [], steps: [{ data: { encoding: 'text', payload: 'a' }, delayMs: 0 }] };
    const sub = setup(false);
    sub.commands.forward('r1', replay);
    expect(sub.forwarded()).toEqual([]);
    const top = setup();
    top.commands.forward('r1', replay);
    expect(top.forwarded()[0].command).toMatchObject({ kind: 'replay', steps: [{ data: 'a', delayMs: 0 }] });
    top.commands.forward('r2', { kind: 'replay-stop', replayId: 'p' });
    expect(top.forwarded()).toHaveLength(2);
  });

  it('hands the hook only the rules scoped to this frame\'s origin (or to every site), from storage and from a set-rules command alike', () => {
    const t = setup();
    const rules = [
      rule({ id: 'mine', action: 'block', scope: 'https://app.example' }),
      rule({ id: 'other', action: 'replace', pattern: 'x', replacement: 'Bearer secret', scope: 'https://other.example' }),
      rule({ id: 'all', action: 'block', scope: '*' }),
      rule({ id: 'legacy', action: 'block' }),
    ];
    t.commands.applyRules({ rules });
    t.commands.forward('r1', { kind: 'set-rules', rules, holdTimeoutMs: 1000 });
    expect(rulesGiven(t)).toEqual([['mine', 'all', 'legacy'], ['mine', 'all', 'legacy']]);
    expect(JSON.stringify(t.toPage.map((m) => (m.type === 'command' && m.command.kind === 'set-rules' ? m.command.rules.map((r) => r.rule) : [])))).not.toContain('secret');
  });

  it('hands breakpoints over only while a panel watches, and forwards every held frame when the last one goes', async () => {
    const t = setup();
    t.commands.knownConnections.add('c1');
    t.commands.applyRules({ rules: [breakpoint, rule({ id: 'blk', action: 'block' })] });
    expect(rulesGiven(t)).toEqual([['blk']]);
    t.commands.setWatched(true);
    expect(rulesGiven(t)).toEqual([['blk'], ['b', 'blk']]);
    await t.commands.forwardNotice({ kind: 'held', holdId: 'h1', connectionId: 'c1', dir: 'send', data: 'x', rule: 'bp', time: 1 });
    expect(t.toBackground).toHaveLength(1);
    t.toPage.length = 0;
    t.commands.setWatched(false);
    expect(rulesGiven(t)).toEqual([['blk']]);
    expect(t.forwarded().filter((m) => m.command.kind === 'release').map((m) => m.command)).toEqual([{ kind: 'release', holdId: 'h1', action: 'forward' }]);
    // A hold that crossed the change is let go, not shown.
    t.toPage.length = 0;
    await t.commands.forwardNotice({ kind: 'held', holdId: 'h2', connectionId: 'c1', dir: 'send', data: 'x', rule: 'bp', time: 2 });
    expect(t.toBackground).toHaveLength(1);
    expect(t.forwarded().map((m) => m.command)).toEqual([{ kind: 'release', holdId: 'h2', action: 'forward' }]);
  });

  it('drops notices about anything this relay did not see: a forged hold, release or replay progress never reaches the panel', async () => {
    const t = setup();
    t.commands.setWatched(true);
    const held = { kind: 'held', holdId: 'h1', connectionId: 'c1', dir: 'send', data: 'forged', rule: 'bp', time: 1 } as const;
    await t.commands.forwardNotice(held); // no breakpoints here, unknown connection
    t.commands.applyRules({ rules: [breakpoint] });
    await t.commands.forwardNotice(held); // unknown connection
    t.commands.knownConnections.add('c1');
    await t.commands.forwardNotice({ ...held, dir: 'sideways' as 'send' }); // malformed
    await t.commands.forwardNotice({ kind: 'released', holdId: 'h9', connectionId: 'c1', outcome: 'forwarded' });
    await t.commands.forwardNotice({ kind: 'replay-progress', replayId: 'p', sent: 2, total: 2, state: 'done' });
    await t.commands.forwardNotice({ kind: 'bogus' } as never);
    expect(t.toBackground).toEqual([]);
    expect(t.commands.droppedNotices).toBe(6);
    await t.commands.forwardNotice(held); // now real: known connection, breakpoints apply
    await t.commands.forwardNotice(held); // the same hold twice: dropped
    await t.commands.forwardNotice({ kind: 'released', holdId: 'h1', connectionId: 'c2', outcome: 'forwarded' }); // not its connection
    expect(t.toBackground.map((m) => m.type === 'page-notice' && m.notice.kind)).toEqual(['held']);
    t.commands.forward('r1', { kind: 'replay', replayId: 'p', url: 'wss://x/', protocols: [], steps: [] });
    await t.commands.forwardNotice({ kind: 'replay-progress', replayId: 'p', sent: 0, total: 0, state: 'done' });
    expect(t.toBackground).toHaveLength(2);
  });
});
