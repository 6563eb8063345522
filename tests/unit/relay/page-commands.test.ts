import { describe, expect, it } from 'vitest';
import { PageCommands } from '@/lib/relay/page-commands';
import { NAMESPACE, type RelayToBackgroundMessage, type RelayToPageMessage, type WireCommand } from '@/lib/shared/protocol';

function setup(topLevel = true) {
  const toPage: RelayToPageMessage[] = [];
  const toBackground: RelayToBackgroundMessage[] = [];
  const commands = new PageCommands({ postToPage: (m) => void toPage.push(m), send: (m) => void toBackground.push(m), topLevel });
  const forwarded = () => toPage.flatMap((m) => (m.type === 'command' ? [m] : []));
  return { commands, toPage, toBackground, forwarded };
}

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
});
