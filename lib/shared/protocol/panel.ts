import type { InterceptRule, NAMESPACE } from './vocabulary';
import type { CaptureGap, Handshake } from '../records';
import type { WireCommand, WireNotice } from './capture';

// Panel ⇄ background (runtime port).

export type PanelToBackgroundMessage =
  | { ns: typeof NAMESPACE; type: 'panel-hello'; protocolVersion: number; tabId: number }
  | { ns: typeof NAMESPACE; type: 'set-paused'; tabId: number; paused: boolean }
  | { ns: typeof NAMESPACE; type: 'clear'; scope: 'session'; sessionId: string }
  | { ns: typeof NAMESPACE; type: 'clear'; scope: 'all' }
  | { ns: typeof NAMESPACE; type: 'page-command'; tabId: number; requestId: string; command: WireCommand }
  /** Intercept rules are global (each has its own URL pattern); the background keeps them in storage.local, where every relay reads them. */
  | { ns: typeof NAMESPACE; type: 'set-rules'; rules: InterceptRule[]; holdTimeoutMs: number }
  | { ns: typeof NAMESPACE; type: 'get-rules' }
  /** Which session is the page in the panel's tab on now (after a navigation; it may have stored nothing yet)? */
  | { ns: typeof NAMESPACE; type: 'page-session-query' }
  /**
   * WebSockets of the panel's tab as DevTools' network log lists them (only a panel inside DevTools sends it): the
   * background attaches each one's handshake to the connection the page hook captured, or stores it as a
   * connection of its own (a worker's socket). Answered by devtools-sockets-result.
   */
  | { ns: typeof NAMESPACE; type: 'devtools-sockets'; tabId: number; sockets: DevtoolsSocket[] };

/** One WebSocket from DevTools' network log (a HAR entry with `_webSocketMessages`), as the panel sends it. */
export interface DevtoolsSocket {
  /** Stable for the entry while DevTools is open (its URL and start time). */
  key: string;
  url: string;
  /** Start of the handshake, ms since the epoch. */
  startedAt: number;
  handshake: Handshake;
  /** The script that opened it, when DevTools says (a worker's script URL). */
  initiatorUrl?: string;
  /** Messages from index `from` on (`_webSocketMessages[from…]`). */
  from: number;
  messages: DevtoolsSocketMessage[];
  /** DevTools reported the request finished (onRequestFinished): the socket is closed or failed. */
  finished?: { time: number };
}

export interface DevtoolsSocketMessage {
  type: 'send' | 'receive' | 'error';
  /** ms since the epoch. */
  time: number;
  /** 1 text, 2 binary (data is base64), -1 for an error. */
  opcode: number;
  data: string;
}

/** What the background did with one DevtoolsSocket. */
export type DevtoolsSocketOutcome =
  /** The page hook captured it: its handshake is on that connection; frames come from the hook. */
  | { key: string; outcome: 'attached'; connectionId: string }
  /** Stored as a connection of its own with its first `stored` messages. */
  | { key: string; outcome: 'stored'; connectionId: string; stored: number }
  /** Too young to tell whether the hook has it (its capture may not have arrived yet): send it again later. */
  | { key: string; outcome: 'pending' };

export type BackgroundToPanelMessage =
  | { ns: typeof NAMESPACE; type: 'panel-welcome'; protocolVersion: number; tabId: number; paused: boolean }
  /** New rows were stored for a session of the watched tab: re-read what is on screen. */
  | { ns: typeof NAMESPACE; type: 'stored'; sessionId: string; connectionIds: string[] }
  | { ns: typeof NAMESPACE; type: 'session-started'; sessionId: string }
  | { ns: typeof NAMESPACE; type: 'capture-state'; tabId: number; paused: boolean }
  | { ns: typeof NAMESPACE; type: 'cleared'; scope: 'session' | 'all'; sessionId?: string }
  | { ns: typeof NAMESPACE; type: 'command-result'; requestId: string; ok: boolean; error?: string }
  | { ns: typeof NAMESPACE; type: 'page-notice'; tabId: number; notice: WireNotice }
  | { ns: typeof NAMESPACE; type: 'rules'; rules: InterceptRule[]; holdTimeoutMs: number }
  /** The answer to page-session-query: null when the page has no relay (not captured, or still loading). */
  | { ns: typeof NAMESPACE; type: 'page-session'; tabId: number; sessionId: string | null }
  /**
   * A frame of the watched tab's page could not start capture (hand-over failed); the gap is on the session
   * record too (SessionRecord.captureGaps). Connections ended because their page went away come as `stored`.
   */
  | { ns: typeof NAMESPACE; type: 'capture-gap'; sessionId: string; gap: CaptureGap }
  | { ns: typeof NAMESPACE; type: 'devtools-sockets-result'; results: DevtoolsSocketOutcome[] };

