import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COMMAND_TIMEOUT_MS, PendingCommands, type CommandTarget } from '@/lib/worker/pending-commands';
import type { BackgroundToPanelMessage, BackgroundToRelayMessage } from '@/lib/shared/protocol';
import type { PanelPort } from '@/lib/worker/panel-ports';

const sendCommand = { kind: 'send', connectionId: 'c1', encoding: 'text', payload: 'hi' } as const;

function panel() {
  const heard: BackgroundToPanelMessage[] = [];
  const port: PanelPort = { send: (m) => void heard.push(m), listen: () => () => undefined, disconnect: () => undefined };
  return { port, heard };
}
function relay(tabId: number) {
  const posted: BackgroundToRelayMessage[] = [];
  const target: CommandTarget = { tabId, post: (m) => posted.push(m) > 0 };
  return { target, posted };
}

describe('PendingCommands', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('hands a command to the tab\'s relays now and to each welcomed later, once each; other tabs get none', () => {
    const commands = new PendingCommands();
    const p = panel();
    const now = relay(5);
    commands.add('r1', p.port, 5, sendCommand, [now.target]);
    const later = relay(5);
    const other = relay(6);
    commands.welcomed(later.target);
    commands.welcomed(later.target);
    commands.welcomed(now.target);
    commands.welcomed(other.target);
    expect(now.posted).toEqual([expect.objectContaining({ type: 'command', requestId: 'r1', command: sendCommand })]);
    expect(later.posted).toHaveLength(1);
    expect(other.posted).toEqual([]);
  });

  it('tells the panel that asked the first answer only, and stops handing the command out', () => {
    const commands = new PendingCommands();
    const p = panel();
    commands.add('r1', p.port, 5, sendCommand, []);
    commands.finish('r1', true);
    commands.finish('r1', false, 'late');
    expect(p.heard).toEqual([expect.objectContaining({ type: 'command-result', requestId: 'r1', ok: true })]);
    const late = relay(5);
    commands.welcomed(late.target);
    expect(late.posted).toEqual([]);
  });

  it('fails a command no page answers after COMMAND_TIMEOUT_MS, unless its panel closed', () => {
    const commands = new PendingCommands();
    const waiting = panel();
    const closed = panel();
    commands.add('r1', waiting.port, 5, sendCommand, []);
    commands.add('r2', closed.port, 5, sendCommand, []);
    commands.cancel(closed.port);
    vi.advanceTimersByTime(COMMAND_TIMEOUT_MS);
    expect(waiting.heard).toEqual([expect.objectContaining({ requestId: 'r1', ok: false, error: expect.stringMatching(/did not answer/) })]);
    expect(closed.heard).toEqual([]);
  });
});
