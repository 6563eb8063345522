// CaptureRelay and its page beyond frames: commands and intercept rules handed to the hook, the page's identity
// (session info, frame URL), pagehide with its goodbye and the hook's last words, and a failed hand-over.
import { describe, expect, it } from 'vitest';
import type { PageEvent, RelayToPageMessage } from '@/lib/shared/protocol';
import { connect, page, payloads, setup, text, welcome } from './capture-relay-fixtures';

describe('CaptureRelay', () => {
  it('a command delivered twice (the background hands it to each port welcomed while it waits) reaches the page once', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage(page(connect()));
    t.port().deliver({ type: 'ack', batchSeq: 1 });
    const command = { type: 'command', requestId: 'r1', command: { kind: 'send', connectionId: 's1', encoding: 'text', payload: 'hi' } };
    t.port().deliver(command);
    t.port().drop();
    t.relay.wake();
    expect(t.ports).toHaveLength(2);
    t.port().deliver(welcome());
    t.port().deliver(command);
    t.port().deliver({ ...command, requestId: 'r2' });
    expect(t.toPage.filter((m) => m.type === 'command').map((m) => (m as { requestId: string }).requestId)).toEqual(['r1', 'r2']);
  });

  it('hands stored intercept rules to the page compiled; none stored means nothing to say; an empty list lifts them', () => {
    const t = setup({ idle: true });
    t.relay.applyRules(undefined);
    t.relay.applyRules({ rules: 'not a list' });
    expect(t.toPage).toEqual([]);
    const rule = { id: 'r', name: 'no secrets', enabled: true, direction: 'send', urlPattern: '', pattern: 'secret', regex: false, action: 'block', replacement: '' };
    t.relay.applyRules({ rules: [rule, null], holdTimeoutMs: 5000 });
    expect(t.toPage).toHaveLength(1);
    const given = t.toPage[0] as Extract<RelayToPageMessage, { type: 'command' }>;
    expect(given.command).toMatchObject({ kind: 'set-rules', holdTimeoutMs: 5000 });
    const compiled = (given.command as { rules: Array<{ pattern?: RegExp }> }).rules;
    expect(compiled).toHaveLength(1);
    expect(compiled[0].pattern).toBeInstanceOf(RegExp);
    t.relay.applyRules({ rules: [] });
    expect(t.toPage[1]).toMatchObject({ type: 'command', command: { kind: 'set-rules', rules: [], holdTimeoutMs: 30_000 } });
    expect(t.ports).toHaveLength(0); // rules never need the worker
  });

  it('the top frame tells its page load (for the background\'s session-query) without connecting; subframes do not', () => {
    const top = setup({ idle: true });
    top.setTitle('Now titled');
    expect(top.relay.sessionInfo()).toEqual({ sessionId: 'session-1', pageUrl: 'https://example.test/app', title: 'Now titled', startedAt: 1000 });
    expect(top.ports).toHaveLength(0);
    expect(setup({ idle: true, topLevel: false, sessionId: undefined }).relay.sessionInfo()).toBeUndefined();
  });

  it('stores a connection under the frame URL of its own location, never the one a page event names', () => {
    const t = setup();
    t.port().deliver(welcome());
    const forged = { ...connect('f1'), frameUrl: 'https://victim.example/inbox' } as PageEvent;
    t.relay.acceptPageMessage(page(forged)); // passed on whole
    t.relay.acceptPageMessage(page({ ...connect('f2'), frameUrl: 'https://victim.example/' } as PageEvent, text(1, 'a', 'f2'))); // rebuilt row by row
    t.runTimers();
    const connects = t.port().batches().flatMap((b) => b.events).filter((e) => e.k === 'connect');
    expect(connects.map((e) => e.k === 'connect' && e.frameUrl)).toEqual(['https://example.test/app', 'https://example.test/app']);
  });

  it('on pagehide sends everything it holds, without waiting for a welcome, then a goodbye naming its open connections', () => {
    const t = setup({ idle: true });
    t.relay.acceptPageMessage(page(connect('a'), connect('b'), text(1, 'last', 'a'), { k: 'close', socketId: 'b', seq: 1, time: 2, code: 1000, reason: '', wasClean: true }));
    t.relay.pageHidden();
    const posted = t.port().posted.map((m) => m.type);
    expect(posted).toEqual(['hello', 'batch', 'goodbye']);
    expect(payloads(t.port().batches()[0].events)).toEqual(['connect', 'connect', 'last', 'close']);
    expect(t.port().posted[2]).toMatchObject({ type: 'goodbye', openConnections: ['a'] });
  });

  it('takes the hook\'s last words before its own pagehide: they go with everything else, before the goodbye', () => {
    const t = setup({ idle: true });
    t.relay.acceptPageMessage(page(connect('a')));
    t.relay.acceptLastWords({ reason: 'pagehide', messages: [page(text(1, 'last', 'a'))] });
    t.relay.pageHidden();
    expect(t.port().posted.map((m) => m.type)).toEqual(['hello', 'batch', 'batch', 'goodbye']);
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['connect', 'last']);
  });

  it('last words after its goodbye (the page sent in its own pagehide listener) go at once, with another goodbye', () => {
    const t = setup({ idle: true });
    t.relay.acceptPageMessage(page(connect('a')));
    t.relay.pageHidden();
    t.relay.acceptLastWords({ reason: 'pagehide', messages: [page(text(1, 'logout', 'a'))] });
    expect(t.port().posted.map((m) => m.type)).toEqual(['hello', 'batch', 'goodbye', 'batch', 'goodbye']);
    expect(payloads(t.port().batches()[1].events)).toEqual(['logout']);
    // Shown again (back/forward cache): last words of a freeze go at once, with no goodbye.
    t.relay.pageShown();
    t.relay.acceptLastWords({ reason: 'freeze', messages: [page(text(2, 'frozen', 'a'))] });
    expect(t.port().posted.map((m) => m.type).slice(5)).toEqual(['batch']);
  });

  it('takes a sparse batch handed over at once (\'at-once\') after what the hook posted before it, even if that is still on the port', () => {
    const t = setup();
    t.port().deliver(welcome());
    const numbered = (n: number, msg: ReturnType<typeof page>) => Object.assign(msg, { n });
    t.relay.acceptPageMessage(numbered(1, page(connect('a'))));
    // The reply, handed over synchronously, overtakes the request still on the page's port.
    t.relay.acceptLastWords({ reason: 'at-once', messages: [numbered(3, page(text(2, 'reply', 'a')))] });
    t.relay.acceptPageMessage(numbered(2, page(text(1, 'request', 'a'))));
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['connect', 'request', 'reply']);
    // The page goes: what waits for a message still on the port (lost with the document) goes now, in order.
    t.relay.acceptLastWords({ reason: 'at-once', messages: [numbered(6, page(text(4, 'last', 'a')))] });
    t.relay.acceptLastWords({ reason: 'pagehide', messages: [numbered(5, page(text(3, 'bye', 'a')))] });
    t.relay.pageHidden();
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['connect', 'request', 'reply', 'bye', 'last']);
  });

  it('ignores last words that are not a list of page messages', () => {
    const t = setup({ idle: true });
    for (const bad of [null, 'x', { reason: 'pagehide' }, { reason: 'pagehide', messages: [{ type: 'page-events' }, 5] }]) t.relay.acceptLastWords(bad);
    expect(t.ports).toHaveLength(0);
  });

  it('a relay reconnecting names its connections still open in its hello (a restarted background ends them if the page goes)', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage(page(connect('a')));
    t.port().drop();
    t.runTimers();
    expect(t.port().posted[0]).toMatchObject({ type: 'hello', openConnections: ['a'] });
  });

  it('a failed hand-over connects and says so once welcomed, under its own frame URL', () => {
    const t = setup({ idle: true });
    t.relay.handoverFailed();
    expect(t.ports).toHaveLength(1);
    t.port().deliver(welcome());
    expect(t.port().posted[1]).toMatchObject({ type: 'capture-gap', reason: 'hand-over-failed', frameUrl: 'https://example.test/app' });
  });
});
