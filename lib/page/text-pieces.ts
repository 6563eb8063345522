/**
 * Large plain texts travel after their batch in pieces (PageFrameEvent.pieces), one Blob per task: no task of the
 * page's or of the relay's clones all of a 16 MiB string at once.
 */
import type { PageToRelayMessage } from '../shared/protocol';
import { NAMESPACE, TEXT_PIECE_MAX } from '../shared/protocol';
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';

export interface TextPieceQueue {
  /** Queues `text` cut into pieces; returns how many. */
  add(text: string): number;
  /** Starts posting queued pieces, one per task, unless already under way. */
  schedule(): void;
  /** Posts every queued piece now (the page is going away: there are no more tasks). */
  postAll(): void;
  /** Moves every queued piece, as the message that would post it, to the end of `out` (the last hand-over). */
  takeAll(out: PageToRelayMessage[]): void;
}

/** Appends `text` cut into pieces of at most TEXT_PIECE_MAX units, never inside a surrogate pair. */
export function cutIntoPieces(natives: Natives, text: string, out: string[]): void {
  const { apply, charCodeAt, stringSlice } = natives;
  for (let at = 0; at < text.length; ) {
    let end = at + TEXT_PIECE_MAX < text.length ? at + TEXT_PIECE_MAX : text.length;
    if (end < text.length) {
      const c = apply(charCodeAt, text, [end - 1]) as number;
      if (c >= 0xd800 && c <= 0xdbff) end -= 1;
    }
    out[out.length] = apply(stringSlice, text, [at, end]) as string;
    at = end;
  }
}

/** Numbers the hook's messages as they go (HookPostNumber); `unstamp` gives back the number of one that did not go. */
export interface PostNumbers {
  stamp<T extends PageToRelayMessage>(msg: T): T;
  unstamp(): void;
}

/** Pieces posted on the port `portOf()` returns (nothing is posted without one), numbered as they go. */
export function textPieceQueue(natives: Natives, own: OwnObjects, portOf: () => MessagePort | undefined, numbers: PostNumbers): TextPieceQueue {
  const { apply, win, setTimeoutFn, portPostMessage, BlobCtor } = natives;
  const { ownArray, ownSequence } = own;
  /**
   * Pieces of large texts still to post, oldest first across frames: the relay gives each frame its pieces in
   * arrival order, and holds everything after that frame until they are all there.
   */
  let textPieces: string[] = ownArray();
  let textPiecesHead = 0;
  let piecesScheduled = false;

  function postTextPiece(): void {
    piecesScheduled = false;
    const port = portOf();
    if (!port || textPiecesHead >= textPieces.length) return;
    const text = textPieces[textPiecesHead];
    textPieces[textPiecesHead++] = '';
    if (textPiecesHead === textPieces.length) {
      textPieces = ownArray();
      textPiecesHead = 0;
    } else {
      piecesScheduled = true;
      apply(setTimeoutFn, win, [postTextPiece, 0]);
    }
    try {
      apply(portPostMessage, port, [numbers.stamp(pieceMessage(text))]);
    } catch {
      numbers.unstamp(); // page unloading
    }
  }

  function pieceMessage(text: string): PageToRelayMessage {
    return own.withoutPrototype({ ns: NAMESPACE, type: 'page-text-piece', piece: new BlobCtor(ownSequence([text])) });
  }

  function takeAll(out: PageToRelayMessage[]): void {
    for (; textPiecesHead < textPieces.length; textPiecesHead++) out[out.length] = numbers.stamp(pieceMessage(textPieces[textPiecesHead]));
    textPieces = ownArray();
    textPiecesHead = 0;
  }

  function add(text: string): number {
    const before = textPieces.length - textPiecesHead;
    cutIntoPieces(natives, text, textPieces);
    return textPieces.length - textPiecesHead - before;
  }

  function schedule(): void {
    if (textPiecesHead < textPieces.length && !piecesScheduled) {
      piecesScheduled = true;
      apply(setTimeoutFn, win, [postTextPiece, 0]);
    }
  }

  function postAll(): void {
    while (portOf() !== undefined && textPiecesHead < textPieces.length) postTextPiece();
  }

  return own.withoutPrototype({ add, schedule, postAll, takeAll });
}
