import './runes';
import { describe, expect, it, vi } from 'vitest';
import { ActState, PAUSE_ALL_RULE_NAME, heldGroups, newRule, type ActLink } from '@/lib/panel/act-state.svelte';
import type { CommandOutcome } from '@/lib/panel/link-state.svelte';
import { DEFAULT_HOLD_TIMEOUT_MS } from '@/lib/shared/intercept-rules';
import type { PanelToBackgroundMessage, WireCommand, WireNotice } from '@/lib/shared/protocol';

function fakeLink(answer: (command: WireCommand) => CommandOutcome = () => ({ ok: true }), connected = true) {
  const posted: PanelToBackgroundMessage[] = [];
  const commands: WireCommand[] = [];
  const link: ActLink = {
    post: (msg) => {
      if (connected) posted.push(msg);
      return connected;
    },
    command: async (command) => {
      commands.push(command);
      return answer(command);
    },
  };
  return { link, posted, commands };
}

const heldOn = (holdId: string, connectionId: string, dir: 'send' | 'receive', time: number, rule = 'r'): WireNotice & { kind: 'held' } =>
  ({ kind: 'held', holdId, connectionId, dir, data: { encoding: 'text', payload: holdId }, rule, time });
const settle = () => new Promise((r) => setTimeout(r, 0));

const held = (holdId: string): WireNotice => ({ kind: 'held', holdId, connectionId: 'c', dir: 'send', data: { encoding: 'text', payload: 'hi' }, rule: 'r', time: 5 });

describe('ActState', () => {
  it('asks for the rules when connected and shows what the background says', () => {
    const { link, posted } = fakeLink();
    const act = new ActState(link);
    act.onConnected();
    expect(posted.map((m) => m.type)).toEqual(['get-rules']);
    expect(act.rulesKnown).toBe(false);
    const rule = newRule({ name: 'a' });
    act.onRules([rule], 0);
    expect(act.rules).toEqual([rule]);
    expect(act.holdTimeoutMs).toBe(DEFAULT_HOLD_TIMEOUT_MS);
    expect(act.rulesKnown).toBe(true);
    act.onRules(null as never, 500);
    expect(act.rules).toEqual([]);
    expect(act.holdTimeoutMs).toBe(500);
  });

  it('keeps held frames once each, drops them when released or when the page goes', () => {
    const act = new ActState(fakeLink().link);
    act.onNotice(held('h1'));
    act.onNotice(held('h1'));
    act.onNotice(held('h2'));
    expect(act.held.map((h) => h.holdId)).toEqual(['h1', 'h2']);
    expect(act.held[0]).toEqual({ holdId: 'h1', connectionId: 'c', dir: 'send', data: { encoding: 'text', payload: 'hi' }, rule: 'r', time: 5 });
    act.onNotice({ kind: 'released', holdId: 'h1', connectionId: 'c', outcome: 'timeout' });
    expect(act.held.map((h) => h.holdId)).toEqual(['h2']);
    act.forgetHolds();
    expect(act.held).toEqual([]);
  });

  it('saves rules through the background, refusing an invalid enabled rule', () => {
    const { link, posted } = fakeLink();
    const act = new ActState(link);
    const bad = newRule({ name: 'bad', action: 'replace', pattern: '' });
    expect(act.upsertRule(bad)).toBe(false);
    expect(act.rulesError).toBe('Rule "bad": A replace rule needs something to match.');
    expect(posted).toEqual([]);
    // Disabled, it may be kept as it is.
    expect(act.upsertRule({ ...bad, enabled: false })).toBe(true);
    expect(act.rulesError).toBe('');
    expect(act.rules).toHaveLength(1);
    const good = newRule({ name: 'good' });
    expect(act.upsertRule(good)).toBe(true);
    expect(act.setEnabled(good.id, false)).toBe(true);
    expect(act.rules.map((r) => [r.name, r.enabled])).toEqual([
      ['bad', false],
      ['good', false],
    ]);
    expect(act.deleteRule(bad.id)).toBe(true);
    expect(act.rules.map((r) => r.name)).toEqual(['good']);
    const last = posted[posted.length - 1];
    expect(last).toMatchObject({ type: 'set-rules', holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS });
    expect(last.type === 'set-rules' && last.rules.map((r) => r.name)).toEqual(['good']);
  });

  it('says so when the rules cannot reach the background, and keeps the old ones', () => {
    const act = new ActState(fakeLink(undefined, false).link);
    expect(act.upsertRule(newRule())).toBe(false);
    expect(act.rulesError).toMatch(/Not connected/);
    expect(act.rules).toEqual([]);
  });

  it('"Pause all" is a breakpoint first in the list, and off again without touching the others', () => {
    const act = new ActState(fakeLink().link);
    const other = newRule({ name: 'other' });
    act.upsertRule(other);
    expect(act.pauseAll).toBe(false);
    act.setPauseAll(true);
    expect(act.pauseAll).toBe(true);
    expect(act.rules.map((r) => r.name)).toEqual([PAUSE_ALL_RULE_NAME, 'other']);
    expect(act.rules[0]).toMatchObject({ action: 'breakpoint', direction: 'both', pattern: '', urlPattern: '', enabled: true });
    act.setPauseAll(false);
    expect(act.rules).toEqual([other]);
  });

  it('checks the hold timeout', () => {
    const { link, posted } = fakeLink();
    const act = new ActState(link);
    expect(act.setHoldTimeout(50)).toBe(false);
    expect(act.rulesError).toMatch(/at least 100 ms/);
    expect(act.setHoldTimeout(Number.NaN)).toBe(false);
    expect(act.setHoldTimeout(1500.4)).toBe(true);
    expect(act.holdTimeoutMs).toBe(1500);
    expect(posted[0]).toMatchObject({ type: 'set-rules', holdTimeoutMs: 1500 });
  });

  it('releases a hold; a failure is shown, and a hold the page no longer has is dropped', async () => {
    const answers: CommandOutcome[] = [{ ok: false, error: 'The socket is busy' }, { ok: false, error: 'Frame is no longer held' }, { ok: true }];
    const { link, commands } = fakeLink(() => answers.shift()!);
    const act = new ActState(link);
    act.onNotice(held('h1'));
    act.onNotice(held('h2'));
    expect(await act.release('h1', 'forward')).toEqual({ ok: false, error: 'The socket is busy' });
    expect(act.holdError).toBe('The socket is busy');
    expect(act.held.map((h) => h.holdId)).toEqual(['h1', 'h2']);
    await act.release('h1', 'drop');
    expect(act.held.map((h) => h.holdId)).toEqual(['h2']);
    await act.release('h2', 'forward', { encoding: 'text', payload: 'edited' });
    expect(act.holdError).toBe('');
    expect(act.held).toEqual([]);
    expect(commands[2]).toEqual({ kind: 'release', holdId: 'h2', action: 'forward', data: { encoding: 'text', payload: 'edited' } });
  });

  it('tracks a replay from start to progress, and marks one that could not start', async () => {
    const answers: CommandOutcome[] = [{ ok: true }, { ok: false }];
    const { link, commands } = fakeLink(() => answers.shift()!);
    const act = new ActState(link);
    const steps = [{ delayMs: 0, data: { encoding: 'text' as const, payload: 'a' } }];
    const { replayId, ok } = await act.startReplay('wss://x/', [], steps);
    expect(ok).toBe(true);
    expect(commands[0]).toMatchObject({ kind: 'replay', replayId, url: 'wss://x/', steps });
    expect(act.replay(replayId)).toMatchObject({ state: 'starting', total: 1, sent: 0 });
    act.onNotice({ kind: 'replay-progress', replayId, connectionId: 'r1', sent: 1, total: 1, state: 'done' });
    expect(act.replay(replayId)).toMatchObject({ state: 'done', sent: 1, connectionId: 'r1' });
    // Progress for a replay this panel did not start is not shown.
    act.onNotice({ kind: 'replay-progress', replayId: 'other', sent: 1, total: 1, state: 'running' });
    expect(act.replays).toHaveLength(1);
    const failed = await act.startReplay('wss://y/', [], steps);
    expect(act.replay(failed.replayId)).toMatchObject({ state: 'failed', error: 'The replay could not start.' });
    const stop = vi.fn(async () => ({ ok: true }));
    await new ActState({ post: () => true, command: stop }).stopReplay('r');
    expect(stop).toHaveBeenCalledWith({ kind: 'replay-stop', replayId: 'r' });
  });

  it('groups held frames per socket and direction, oldest first (#23)', () => {
    const frames = [heldOn('b', 'c1', 'send', 3), heldOn('a', 'c1', 'send', 1), heldOn('x', 'c2', 'receive', 2), heldOn('y', 'c1', 'receive', 4)].map(({ kind: _, ...h }) => h);
    expect(heldGroups(frames).map((g) => [g.connectionId, g.dir, g.frames.map((f) => f.holdId)])).toEqual([
      ['c1', 'send', ['a', 'b']],
      ['c2', 'receive', ['x']],
      ['c1', 'receive', ['y']],
    ]);
  });

  it('"Forward all" forwards every frame held on a socket, then those the page held behind them, and no later ones (#23)', async () => {
    // The page: releasing a hold lets the next queued frame through, where the breakpoint holds it again at once.
    const page: { act?: ActState } = {};
    const queue = ['q1', 'q2'];
    const { link, commands } = fakeLink((command) => {
      if (command.kind !== 'release') return { ok: true };
      page.act!.onNotice({ kind: 'released', holdId: command.holdId, connectionId: 'c1', outcome: 'forwarded' });
      const next = queue.shift();
      const heldAt = Date.now(); // the page holds the next one as it releases this one; its notice may come later
      if (next) setTimeout(() => page.act!.onNotice(heldOn(next, 'c1', 'send', heldAt)), 0);
      return { ok: true };
    });
    const act = (page.act = new ActState(link));
    act.onNotice(heldOn('h1', 'c1', 'send', 1));
    act.onNotice(heldOn('h2', 'c1', 'send', 2));
    act.onNotice(heldOn('other', 'c2', 'send', 3));
    await act.releaseGroup('c1', 'send', 'forward');
    for (let i = 0; i < 5; i++) await settle();
    expect(commands.map((c) => c.kind === 'release' && [c.holdId, c.action])).toEqual([['h1', 'forward'], ['h2', 'forward'], ['q1', 'forward'], ['q2', 'forward']]);
    expect(act.held.map((h) => h.holdId)).toEqual(['other']);
    // New traffic held later on the same socket stays held.
    act.onNotice(heldOn('later', 'c1', 'send', Date.now() + 60_000));
    await settle();
    expect(act.held.map((h) => h.holdId)).toEqual(['other', 'later']);
    await act.releaseAll('drop');
    expect(commands.slice(4).map((c) => c.kind === 'release' && [c.holdId, c.action])).toEqual([['other', 'drop'], ['later', 'drop']]);
  });

  it('turning "Pause all" off forwards what it holds, unless asked to keep them (#23)', async () => {
    const { link, commands } = fakeLink();
    const act = new ActState(link);
    act.setPauseAll(true);
    act.onNotice(heldOn('p1', 'c1', 'send', 1, PAUSE_ALL_RULE_NAME));
    act.onNotice(heldOn('p2', 'c1', 'receive', 2, PAUSE_ALL_RULE_NAME));
    act.onNotice(heldOn('mine', 'c1', 'send', 3, 'my breakpoint'));
    expect(act.setPauseAll(false, true)).toBe(true);
    await settle();
    expect(commands).toEqual([]);
    expect(act.held).toHaveLength(3);

    act.setPauseAll(true);
    expect(act.setPauseAll(false)).toBe(true);
    for (let i = 0; i < 3; i++) await settle();
    expect(commands.map((c) => c.kind === 'release' && [c.holdId, c.action])).toEqual([['p1', 'forward'], ['p2', 'forward']]);
    expect(act.held.map((h) => h.holdId)).toEqual(['mine']);
    // A hold by "Pause all" that the page made before it heard the rule was gone goes through too.
    act.onNotice(heldOn('stale', 'c2', 'send', Date.now() + 60_000, PAUSE_ALL_RULE_NAME));
    await settle();
    expect(commands.at(-1)).toEqual({ kind: 'release', holdId: 'stale', action: 'forward', data: undefined });
  });
});
