/**
 * Large frames (over PLAIN_PAYLOAD_MAX) become Blobs in the relay, so the runtime port carries a handle instead of
 * the payload: a binary frame's Blob is built a slice per task from the hook's buffer; a large text arrives from
 * the hook already in pieces (page-text-piece Blobs), joined here into one Blob when its frame's turn comes.
 *
 * Never encoded or cloned here in one piece: that took the page's thread seconds for a 16 MiB frame.
 */
import type { PageFrameEvent } from '../shared/protocol';
import { blobInSlices } from '../shared/packed-batch';

/** A large frame's Blob being made (LargeFrames.begin): `done` is called once it is, if set by then. */
export interface LargeBlobJob {
  blob?: Blob;
  done?: (blob: Blob) => void;
}

export class LargeFrames {
  /** Blobs of large frames, begun on arrival (begin), until the queue takes them. */
  private readonly largeBlobs = new Map<PageFrameEvent, LargeBlobJob>();
  /**
   * Pieces of large text frames (PageFrameEvent.pieces), Blobs made by the hook, not yet claimed by their
   * frame: they can arrive before the queue reaches the frame (behind a Blob being read).
   */
  private textPieces: Blob[] = [];
  /** The queue's head is a large text frame waiting for this many pieces. */
  private waitingForPieces: { count: number; done(blob: Blob): void } | undefined;

  constructor(
    /** Runs `next` in a later task (one slice per task). */
    private readonly schedule: (next: () => void) => void,
    /** Gives a frame's buffer, its bytes now in the Blob, back to the hook. */
    private readonly handBack: (buffer: ArrayBuffer) => void,
  ) {}

  /** A Blob was begun for this frame and not yet taken (its buffer may be back with the hook, detached here). */
  has(event: PageFrameEvent): boolean {
    return this.largeBlobs.has(event);
  }

  /**
   * Begins the Blob of a large frame that came whole (binary, as a rule) when it arrives, not when the queue
   * reaches it: a large text before it can hold the queue for a second or more, and the hook gets the frame's
   * buffer back sooner, ready to copy its next large frame into (see PageFrameEvent.byteLength).
   */
  begin(event: PageFrameEvent): LargeBlobJob {
    const begun = this.largeBlobs.get(event);
    if (begun) return begun;
    const created: LargeBlobJob = {};
    this.largeBlobs.set(event, created);
    const buffer = event.data as string | ArrayBuffer;
    const payload = typeof buffer === 'string' || event.byteLength === undefined ? buffer : new Uint8Array(buffer, 0, event.byteLength);
    blobInSlices(payload, this.schedule, (blob) => {
      // The hook copies its next large frame into this buffer: memory it has touched costs no page faults.
      if (typeof buffer !== 'string') this.handBack(buffer);
      created.blob = blob;
      created.done?.(blob);
    });
    return created;
  }

  /** The queue took the frame's Blob. */
  forget(event: PageFrameEvent): void {
    this.largeBlobs.delete(event);
  }

  /** A piece of a large text from the hook. */
  acceptPiece(piece: unknown): void {
    if (!(piece instanceof Blob)) return; // only our hook posts on this port
    this.textPieces.push(piece);
    this.claimPieces();
  }

  /** The queue reached a large text of `count` pieces: `done` gets them as one Blob once all have come. */
  waitForPieces(count: number, done: (blob: Blob) => void): void {
    this.waitingForPieces = { count, done };
    this.claimPieces();
  }

  private claimPieces(): void {
    const waiting = this.waitingForPieces;
    if (waiting === undefined || this.textPieces.length < waiting.count) return;
    this.waitingForPieces = undefined;
    waiting.done(new Blob(this.textPieces.splice(0, waiting.count)));
  }
}
