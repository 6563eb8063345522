/**
 * The one message protocol every context speaks: the page hook (MAIN world), the relay (isolated content
 * script), the background service worker and the panel. Each hop has its own union; every message carries the
 * namespace tag so stray messages are ignored, and the two runtime-port hellos carry PROTOCOL_VERSION.
 *
 * Hops and their transports:
 *   page hook  ⇄ relay       private MessagePort (structured clone: ArrayBuffer/Blob travel as they are)
 *   relay      ⇄ background  runtime port "capture", structured clone: capture batches travel packed (a few
 *                             strings and one ArrayBuffer, see lib/shared/packed-batch.ts); elsewhere binary payloads
 *                             travel as base64 (lib/shared/wire.ts)
 *   panel      ⇄ background  runtime port "panel"
 *   background → relay       tabs.sendMessage (BackgroundToFrameMessage): reaches relays with no port open. A
 *                             relay connects only when it has something to say or is woken, so pages without
 *                             WebSockets never wake the service worker.
 * The panel reads stored data straight from IndexedDB (lib/store/frame-store.ts); the background only tells it what
 * changed.
 *
 * This module holds types, a few constants and one tiny function only, so the page hook can import it without
 * weight.
 */

import { NAMESPACE } from './vocabulary';
import type { BackgroundToFrameMessage, BackgroundToRelayMessage, FrameToBackgroundMessage, RelayToBackgroundMessage } from './capture';
import type { PageToRelayMessage, RelayToPageMessage } from './page';
import type { BackgroundToPanelMessage, PanelToBackgroundMessage } from './panel';
import type { ExportStreamKeepAlive, ExportStreamRegister } from './io';

export * from './vocabulary';
export * from './page';
export * from './capture';
export * from './panel';
export * from './io';

type AnyMessage =
  | PageToRelayMessage
  | RelayToPageMessage
  | RelayToBackgroundMessage
  | BackgroundToRelayMessage
  | BackgroundToFrameMessage
  | FrameToBackgroundMessage
  | PanelToBackgroundMessage
  | BackgroundToPanelMessage
  | ExportStreamRegister
  | ExportStreamKeepAlive;

type WithoutNamespace<M> = M extends unknown ? Omit<M, 'ns'> : never;

/** Builds a message with the namespace tag, so no context writes the tag by hand. */
export function message<M extends AnyMessage>(body: WithoutNamespace<M>): M {
  return { ns: NAMESPACE, ...body } as M;
}

/** True for a plain object carrying our namespace tag and a string `type`. Validate fields at the receiver. */
export function isProtocolMessage(value: unknown): value is { ns: typeof NAMESPACE; type: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { ns?: unknown }).ns === NAMESPACE &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}
