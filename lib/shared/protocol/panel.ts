import type { InterceptRule, NAMESPACE } from './vocabulary';
import type { CaptureGap } from '../records';
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
  | { ns: typeof NAMESPACE; type: 'page-session-query' };

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
  | { ns: typeof NAMESPACE; type: 'capture-gap'; sessionId: string; gap: CaptureGap };

