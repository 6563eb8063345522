import { describe, expect, it, vi } from 'vitest';
import { network } from './fake-window';
import { useOpenSocket } from './relay-session';

const openSocket = useOpenSocket();

describe('commands from the relay', () => {
  it('send: goes out through the native send, recorded as the inspector\'s, before the reply', async () => {
    const { s, ws, socketId } = await openSocket();
    expect(await s.command({ kind: 'send', socketId, data: 'from panel' })).toMatchObject({ ok: true });
    expect(network.sent(ws)).toEqual(['from panel']);
    const types = s.relay.received.map((m) => m.type);
    expect(types.lastIndexOf('page-events')).toBeLessThan(types.lastIndexOf('command-result'));
    expect((await s.events()).at(-1)).toMatchObject({ k: 'frame', dir: 'send', data: 'from panel', origin: 'inspector', status: 'sent' });
  });

  it('send: refused with the reason on a connection still opening, or one that is gone', async () => {
    const { s } = await openSocket();
    const opening = new s.win.WebSocket('ws://127.0.0.1:1/other');
    const openingId = (await s.events()).at(-1).socketId;
    expect(await s.command({ kind: 'send', socketId: openingId, data: 'x' })).toMatchObject({ ok: false, error: 'The connection is still opening.' });
    expect(await s.command({ kind: 'send', socketId: 'nobody', data: 'x' })).toMatchObject({ ok: false, error: 'The connection is gone: the page closed it or navigated away.' });
    network.close(opening);
    expect(await s.command({ kind: 'close', socketId: openingId })).toMatchObject({ ok: false, error: 'The connection is gone: the page closed it or navigated away.' });
  });

  it('simulate-receive: the page\'s listeners get it (as a Blob when binaryType asks), recorded as simulated', async () => {
    const { s, ws, socketId } = await openSocket();
    const got: unknown[] = [];
    ws.addEventListener('message', (e) => got.push((e as MessageEvent).data));
    await s.command({ kind: 'simulate-receive', socketId, data: 'fake' });
    await s.command({ kind: 'simulate-receive', socketId, data: new Uint8Array([5]).buffer });
    expect(got[0]).toBe('fake');
    expect(got[1]).toBeInstanceOf(Blob);
    const frames = (await s.events()).filter((e) => e.k === 'frame');
    expect(frames.map((f) => [f.dir, f.origin])).toEqual([['receive', 'simulated'], ['receive', 'simulated']]);
  });

  it('close: the native close with the code and reason given', async () => {
    const { s, ws, socketId } = await openSocket();
    expect(await s.command({ kind: 'close', socketId, code: 4001, reason: 'panel' })).toMatchObject({ ok: true });
    expect(network.closedWith(ws)).toEqual([4001, 'panel']);
    expect(await s.command({ kind: 'close', socketId })).toMatchObject({ ok: false, error: 'The connection is already closing or closed.' });
  });

  it('release and replay-stop of what is not there say so', async () => {
    const { s } = await openSocket();
    expect(await s.command({ kind: 'release', holdId: 'h', action: 'drop' })).toMatchObject({ ok: false, error: expect.stringContaining('no longer held') });
    expect(await s.command({ kind: 'replay-stop', replayId: 'r' })).toMatchObject({ ok: false, error: 'That replay has already finished.' });
  });

  it('replay: a new connection marked as a replay, its steps sent once open, progress to the panel', async () => {
    const { s } = await openSocket();
    const steps = [{ data: 'one', delayMs: 0 }, { data: 'two', delayMs: 0 }];
    expect(await s.command({ kind: 'replay', replayId: 'rp', url: 'ws://127.0.0.1:1/replay', protocols: [], steps })).toMatchObject({ ok: true });
    const replaying = network.latest();
    expect(replaying.binaryType).toBe('arraybuffer');
    expect(s.notices().at(-1)).toMatchObject({ kind: 'replay-progress', replayId: 'rp', state: 'connecting', sent: 0, total: 2 });
    network.open(replaying);
    await vi.waitFor(() => expect(s.notices().at(-1)).toMatchObject({ kind: 'replay-progress', state: 'done', sent: 2 }));
    expect(network.sent(replaying)).toEqual(['one', 'two']);
    const events = await s.events();
    const connect = events.find((e) => e.k === 'connect' && e.initiator === 'replay');
    expect(connect).toMatchObject({ url: 'ws://127.0.0.1:1/replay' });
    expect(events.filter((e) => e.socketId === connect.socketId && e.k === 'frame').map((e) => [e.data, e.origin])).toEqual([['one', 'inspector'], ['two', 'inspector']]);
  });

  it('replay-stop: closes the replay\'s connection and reports it stopped', async () => {
    const { s } = await openSocket();
    await s.command({ kind: 'replay', replayId: 'rp2', url: 'ws://127.0.0.1:1/replay', protocols: [], steps: [{ data: 'x', delayMs: 10_000 }] });
    const replaying = network.latest();
    expect(await s.command({ kind: 'replay-stop', replayId: 'rp2' })).toMatchObject({ ok: true });
    expect(network.closedWith(replaying)).toEqual([1000, 'Replay stopped']);
    expect(s.notices().at(-1)).toMatchObject({ kind: 'replay-progress', replayId: 'rp2', state: 'stopped' });
  });
});
