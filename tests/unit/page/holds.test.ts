import { describe, expect, it, vi } from 'vitest';
import { network } from './fake-window';
import { useOpenSocket } from './relay-session';

const openSocket = useOpenSocket();

describe('rules and breakpoints', () => {
  it('block: the send never reaches the network, recorded as blocked by the rule', async () => {
    const { s, ws } = await openSocket();
    await s.setRules([{ name: 'no secrets', action: 'block', direction: 'send', pattern: 'secret' }]);
    ws.send('a secret');
    ws.send('public');
    expect(network.sent(ws)).toEqual(['public']);
    const frames = (await s.events()).filter((e) => e.k === 'frame');
    expect(frames[0]).toMatchObject({ data: 'a secret', status: 'blocked', rule: 'no secrets', note: 'blocked by a rule' });
    expect(frames[1]).toMatchObject({ data: 'public', status: 'sent' });
  });

  it('replace: the page receives the replaced text; the record keeps the original', async () => {
    const { s, ws } = await openSocket();
    await s.setRules([{ name: 'swap', action: 'replace', direction: 'receive', pattern: 'cat', replacement: 'dog' }]);
    const got: unknown[] = [];
    ws.addEventListener('message', (e) => got.push((e as MessageEvent).data));
    network.receive(ws, 'a cat');
    expect(got).toEqual(['a dog']);
    expect((await s.events()).at(-1)).toMatchObject({ dir: 'receive', data: 'a dog', original: 'a cat', rule: 'swap' });
  });

  it('breakpoint: holds a send and what follows it, until released with an edit', async () => {
    const { s, ws } = await openSocket();
    await s.setRules([{ name: 'stop here', action: 'breakpoint', direction: 'send', pattern: 'first' }]);
    ws.send('first');
    ws.send('second');
    expect(network.sent(ws)).toEqual([]);
    await s.relay.until(s.relay.received.length + 1);
    const held = s.notices().find((n) => n.kind === 'held');
    expect(held).toMatchObject({ dir: 'send', data: 'first', rule: 'stop here' });
    expect(await s.command({ kind: 'release', holdId: held.holdId, action: 'forward', data: 'edited' })).toMatchObject({ ok: true });
    expect(network.sent(ws)).toEqual(['edited', 'second']);
    expect(s.notices().at(-1)).toMatchObject({ kind: 'released', holdId: held.holdId, outcome: 'edited' });
    const frames = (await s.events()).filter((e) => e.k === 'frame');
    expect(frames.map((f) => [f.data, f.note])).toEqual([['edited', 'edited at a breakpoint'], ['second', undefined]]);
  });

  it('breakpoint: what queued behind a frame waits again behind the next held one', async () => {
    const { s, ws } = await openSocket();
    await s.setRules([{ name: 'bp', action: 'breakpoint', direction: 'send', pattern: 'stop' }]);
    for (const text of ['stop 1', 'a', 'stop 2', 'b']) ws.send(text);
    await s.relay.until(s.relay.received.length + 1);
    const first = s.notices().find((n) => n.kind === 'held');
    await s.command({ kind: 'release', holdId: first.holdId, action: 'forward' });
    expect(network.sent(ws)).toEqual(['stop 1', 'a']);
    const second = s.notices().filter((n) => n.kind === 'held').at(-1);
    expect(second).toMatchObject({ data: 'stop 2' });
    await s.command({ kind: 'release', holdId: second.holdId, action: 'drop' });
    expect(network.sent(ws)).toEqual(['stop 1', 'a', 'b']);
  });

  it('breakpoint: a held receive keeps the error and close behind it, in order', async () => {
    const { s, ws } = await openSocket();
    await s.setRules([{ name: 'bp', action: 'breakpoint', direction: 'receive', pattern: '' }]);
    const seen: string[] = [];
    for (const type of ['message', 'error', 'close']) ws.addEventListener(type, (e) => seen.push(type + ':' + ((e as MessageEvent).data ?? '')));
    network.receive(ws, 'held');
    network.error(ws);
    network.close(ws, 1000);
    expect(seen).toEqual([]);
    await s.relay.until(s.relay.received.length + 1);
    const held = s.notices().find((n) => n.kind === 'held');
    await s.command({ kind: 'release', holdId: held.holdId, action: 'forward' });
    expect(seen).toEqual(['message:held', 'error:', 'close:']);
    expect((await s.events()).slice(-3).map((e) => e.k)).toEqual(['frame', 'error', 'close']);
  });

  it('a held frame goes through unchanged after the hold timeout', async () => {
    const { s, ws } = await openSocket();
    await s.setRules([{ name: 'bp', action: 'breakpoint', direction: 'send', pattern: '' }], 50);
    ws.send('waits');
    await vi.waitFor(() => expect(network.sent(ws)).toEqual(['waits']));
    await vi.waitFor(() => expect(s.notices().at(-1)).toMatchObject({ kind: 'released', outcome: 'timeout' }));
    expect((await s.events()).at(-1)).toMatchObject({ data: 'waits', note: 'released after the hold timeout' });
  });

  it('stop forwards every held frame', async () => {
    const { s, ws } = await openSocket();
    await s.setRules([{ name: 'bp', action: 'breakpoint', direction: 'send', pattern: '' }]);
    ws.send('held');
    s.relay.post({ ns: 'websocket-inspector', type: 'stop' });
    await vi.waitFor(() => expect(network.sent(ws)).toEqual(['held']));
  });
});
