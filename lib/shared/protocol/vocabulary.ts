/** The protocol's shared vocabulary: namespace, version, port and event names, and the small types every hop uses. */

export const NAMESPACE = 'websocket-inspector';
export const PROTOCOL_VERSION = 1;

export const PORT_CAPTURE = 'wsi-capture';
export const PORT_PANEL = 'wsi-panel';

export type Direction = 'send' | 'receive';
/** WebSocket opcodes we record: 1 text, 2 binary. */
export type Opcode = 1 | 2;

/**
 * Where a frame came from:
 * - `page`: the page sent it or the server sent it (a real frame);
 * - `inspector`: the user sent it from the panel on the page's live socket;
 * - `simulated`: the user delivered it to the page as if the server had sent it (no network frame).
 */
export type FrameOrigin = 'page' | 'inspector' | 'simulated';

/**
 * What happened to a frame the page tried to send:
 * - `sent`: handed to the browser's socket;
 * - `dropped`: the socket was CLOSING or CLOSED, so the browser discarded it silently (as the spec says);
 * - `refused`: `send` threw (e.g. while CONNECTING); `note` holds the error message;
 * - `blocked`: a block rule (or a dropped breakpoint) kept it from the network (sends) or from the page (receives).
 * Received frames are otherwise `sent`.
 */
export type FrameStatus = 'sent' | 'dropped' | 'refused' | 'blocked';

/** Who opened a connection: the page, or the inspector replaying a sequence from the page's context. */
export type ConnectionInitiator = 'page' | 'replay';

/**
 * The hook ⇄ relay hand-over: MessageEvents of type 'load' dispatched on `document`, told apart by their data. A
 * load event at a document never reaches its window (DOM "get the parent"), and a reused initial about:blank
 * Window keeps listeners a same-origin parent or opener put on it while its Document is new: so no page listener
 * can see or take the port. The hook offers its port (HOOK_PORT_DATA, cancelable: the relay takes it by cancelling
 * the event); the relay says it is ready (RELAY_READY_DATA) in case it runs after the hook's first offer.
 */
export const HANDOVER_EVENT_TYPE = 'load';
export const HOOK_PORT_DATA = 'websocket-inspector:port';
export const RELAY_READY_DATA = 'websocket-inspector:relay-ready';
/** @deprecated window-dispatched hand-over events, readable by listeners on a reused window; being replaced. */
export const PORT_EVENT = 'websocket-inspector:port';
/** @deprecated see PORT_EVENT. */
export const RELAY_READY_EVENT = 'websocket-inspector:relay-ready';

export type PayloadEncoding = 'text' | 'base64';

/** A payload as it crosses a hop that carries text only: text as is, binary as base64. */
export interface EncodedPayload {
  encoding: PayloadEncoding;
  payload: string;
}

/** Bytes [start, start + size) of a Blob: a binary payload the background passes on to the store unread. */
export interface BlobBytes {
  blob: Blob;
  start: number;
  size: number;
}

// Intercept rules as they travel (the matcher is lib/shared/intercept-rules.ts).

export type RuleAction = 'breakpoint' | 'replace' | 'block';

export interface InterceptRule {
  id: string;
  name: string;
  enabled: boolean;
  action: RuleAction;
  direction: Direction | 'both';
  /** Substring of the connection URL, or a glob with `*`; empty matches every URL. */
  urlPattern: string;
  /** What the payload must contain: empty matches every frame (binary frames only match an empty pattern). */
  pattern: string;
  regex: boolean;
  /** For `replace`: the replacement (with `$1`… for regex groups). */
  replacement: string;
  /**
   * The page origin the rule applies to (`https://app.example`), or '*' for all sites. A relay is sent only the
   * rules whose scope matches its own origin, so a rule (a bearer token in a replacement) never reaches other
   * sites' pages. New rules default to the origin of the tab they were made in. Absent (rules saved before scopes
   * existed): treated as '*' and shown as "All sites".
   */
  scope?: string;
}

export interface RuleDecision {
  rule: InterceptRule;
  /** For `replace`: the new payload. Always present: in the page hook an absent member is looked up on the page's Object.prototype. */
  replaced: string | undefined;
}

export interface CompiledRule {
  rule: InterceptRule;
  url: RegExp | undefined;
  pattern: RegExp | undefined;
}
