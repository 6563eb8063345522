/**
 * What the store says about a session that the panel must say too (issue #9 §1, §3), as text for the banners
 * above the messages: a session past its payload cap, and frames whose capture could not start. (A connection
 * ended by its page going away is its state text: message-format.ts connectionStateText.) Pure and unit-tested.
 */
import type { CaptureGap, SessionPayloadCap } from '../shared/records';
import { formatCapBytes } from '../store/frame-store';
import { formatClock } from './message-format';

/** The banner of a session past its payload cap: what was kept out, and since when. */
export function payloadCapText(cap: SessionPayloadCap): string {
  const frames = `${cap.droppedFrames.toLocaleString('en')} frame${cap.droppedFrames === 1 ? '' : 's'}`;
  return (
    `Payloads no longer stored: this session reached its ${formatCapBytes(cap.limit)} cap at ${formatClock(cap.reachedAt)}. ` +
    `${frames} (${formatCapBytes(cap.droppedBytes)}) since then are listed without their payload; counts and sizes stay exact.`
  );
}

const GAP_REASONS: Record<CaptureGap['reason'], string> = { 'hand-over-failed': 'hand-over failed' };

/** Frames whose capture could not start: "Capture unavailable in 1 frame: <url> (hand-over failed)". */
export function captureGapsText(gaps: readonly CaptureGap[]): string {
  const frames = `${gaps.length} frame${gaps.length === 1 ? '' : 's'}`;
  const list = gaps.map((gap) => `${gap.frameUrl || '(unknown URL)'} (${GAP_REASONS[gap.reason] ?? gap.reason})`).join(', ');
  return `Capture unavailable in ${frames}: ${list}`;
}
