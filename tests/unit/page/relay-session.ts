/** A hooked fake window with a relay on its port, for the tests that drive the hook through commands. */
import { installPageHook, type PageHookHandle } from '@/lib/page';
import { NAMESPACE, type PageCommand } from '@/lib/shared/protocol';
import { compileRules, type InterceptRule } from '@/lib/shared/intercept-rules';
import { afterEach } from 'vitest';
import { fakeRelay, fakeWindow, network, type FakeWindow } from './fake-window';
import { allEvents } from './decode';

export interface RelaySession {
  win: FakeWindow;
  hook: PageHookHandle;
  relay: ReturnType<typeof fakeRelay>;
  /** Runs a command; resolves with its command-result. */
  command(command: PageCommand): Promise<{ ok: boolean; error?: string }>;
  /** Sets rules (as the relay does: compiled, cloned over the port). */
  setRules(rules: Partial<InterceptRule>[], holdTimeoutMs?: number): Promise<void>;
  /** Every recorded event so far (after a flush). */
  events(): Promise<any[]>;
  /** Every notice so far. */
  notices(): any[];
  /** Closes the relay's end of the port. */
  close(): void;
}

let requests = 0;

export function relaySession(): RelaySession {
  const win = fakeWindow();
  const relay = fakeRelay(win);
  const hook = installPageHook(win)!;
  const command = async (command: PageCommand) => {
    const requestId = `r${++requests}`;
    relay.post({ ns: NAMESPACE, type: 'command', requestId, command });
    for (;;) {
      const reply = relay.received.find((m) => m.type === 'command-result' && m.requestId === requestId);
      if (reply) return reply;
      await relay.until(relay.received.length + 1);
    }
  };
  return {
    win,
    hook,
    relay,
    command,
    async setRules(rules, holdTimeoutMs = 0) {
      const full = rules.map((r, i) => ({ id: `rule${i}`, name: `rule ${i}`, enabled: true, action: 'block', direction: 'both', urlPattern: '', pattern: '', regex: false, replacement: '', ...r }) as InterceptRule);
      const result = await command({ kind: 'set-rules', rules: compileRules(full), holdTimeoutMs });
      if (!result.ok) throw new Error(result.error);
    },
    async events() {
      const before = relay.received.length;
      if (hook.pendingCount() > 0) {
        hook.flush();
        await relay.until(before + 1);
      }
      return allEvents(relay.received);
    },
    notices: () => relay.received.filter((m) => m.type === 'page-notice').map((m) => m.notice),
    close: () => relay.close(),
  };
}

/**
 * For a test file: opens a session with one open socket (a new session each call) and closes the last one after
 * each test. Returns the opener.
 */
export function useOpenSocket(): () => Promise<{ s: RelaySession; ws: WebSocket; socketId: string }> {
  let session: RelaySession | undefined;
  afterEach(() => session?.close());
  return async () => {
    session = relaySession();
    const ws = new session.win.WebSocket('ws://127.0.0.1:1/chat');
    network.open(ws);
    const socketId = (await session.events())[0].socketId as string;
    return { s: session, ws, socketId };
  };
}
