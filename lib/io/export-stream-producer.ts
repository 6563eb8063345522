/**
 * The I/O worker's half of a streamed export download: the export's text as a stream of UTF-8 bytes, offered to
 * the service worker on the port the panel registered, and followed until the download has every byte or failed.
 * The whole exchange is described in lib/worker/export-stream.ts; its messages are in lib/shared/protocol/io.ts.
 */
import type { ExportPipeMessage, ExportProducerMessage } from '../shared/protocol/io';

export interface ExportByteStream<Totals> {
  stream: ReadableStream<Uint8Array>;
  /** Errors the stream (the download fails) and stops reading rows. */
  abort(reason: Error): void;
  /** Settles when the chunks are exhausted (with their return value) or the stream failed or was cancelled. */
  ended: Promise<Totals>;
}

/**
 * The bytes of `chunks` (UTF-8, the same bytes `new Blob(strings)` holds), one chunk read per pull: rows are read
 * only as fast as the download takes them. A throwing generator errors the stream; it never just ends early.
 */
export function exportByteStream<Totals>(chunks: AsyncGenerator<string, Totals, undefined>): ExportByteStream<Totals> {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let settled = false;
  let resolveEnded!: (totals: Totals) => void;
  let rejectEnded!: (error: unknown) => void;
  const ended = new Promise<Totals>((resolve, reject) => {
    resolveEnded = resolve;
    rejectEnded = reject;
  });
  ended.catch(() => undefined); // a caller that only awaits the stream still sees the failure there
  const fail = (error: unknown) => {
    if (settled) return;
    settled = true;
    try {
      controller.error(error);
    } catch {
      // already errored or closed
    }
    rejectEnded(error);
    void chunks.return(undefined as Totals).catch(() => undefined);
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      async pull(c) {
        try {
          for (;;) {
            const next = await chunks.next();
            if (settled) return;
            if (next.done) {
              settled = true;
              c.close();
              resolveEnded(next.value);
              return;
            }
            if (next.value.length === 0) continue;
            c.enqueue(encoder.encode(next.value));
            return;
          }
        } catch (error) {
          fail(error);
        }
      },
      cancel(reason) {
        // The reader (the download) went away: stop reading rows.
        fail(reason instanceof Error ? reason : new Error(typeof reason === 'string' && reason ? reason : 'the download was cancelled'));
      },
    },
    // One chunk ahead: the next rows are read while the previous ones travel.
    { highWaterMark: 1 },
  );
  return { stream, abort: fail, ended };
}

// ---------------------------------------------------------------------------------------------------------------
// Offering the stream and following it to the end.

export interface ProducerOptions {
  /** The service worker holds the offer: the panel may navigate to the token's URL now. */
  onReady?: () => void;
  /** The browser's download has begun. */
  onStarted?: () => void;
  /** Cancels the export: the download fails. */
  signal?: AbortSignal;
  /** How long to wait for the service worker to confirm a failure before giving up on it. */
  confirmMs?: number;
}

/**
 * Offers `plan`'s bytes to the service worker on `port` and settles when the download has every byte (with the
 * chunks' return value) or failed (with the export's own error when it was ours: a store failure, a cancel).
 */
export function produceExportStream<Totals>(
  plan: { fileName: string; mimeType: string; chunks: AsyncGenerator<string, Totals, undefined> },
  port: MessagePort,
  options: ProducerOptions = {},
): Promise<Totals> {
  const bytes = exportByteStream(plan.chunks);
  return new Promise<Totals>((resolve, reject) => {
    let settled = false;
    let ownFailure: Error | undefined;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      port.onmessage = null;
      port.close();
      outcome();
    };
    port.onmessage = (event: MessageEvent<ExportPipeMessage>) => {
      const message = event.data;
      switch (message?.type) {
        case 'ready':
          options.onReady?.();
          break;
        case 'started':
          options.onStarted?.();
          break;
        case 'finished':
          void bytes.ended.then(
            (totals) => settle(() => resolve(totals)),
            (error: unknown) => settle(() => reject(error)),
          );
          break;
        case 'failed':
          settle(() => reject(ownFailure ?? new Error(message.message)));
          break;
      }
    };
    bytes.ended.catch((error: unknown) => {
      if (settled) return;
      // Ours (the store failed, or a cancel), or the service worker cancelled the stream: either way make sure
      // the download fails, then report — the service worker answers an abort with 'failed'.
      ownFailure ??= error instanceof Error ? error : new Error(String(error));
      port.postMessage({ type: 'abort', message: ownFailure.message } satisfies ExportProducerMessage);
      setTimeout(() => settle(() => reject(ownFailure)), options.confirmMs ?? 2000);
    });
    const cancel = () => {
      ownFailure = new Error('cancelled');
      bytes.abort(ownFailure);
    };
    if (options.signal?.aborted) cancel(); // cancelled while the export was being planned
    else options.signal?.addEventListener('abort', cancel);
    port.postMessage({ type: 'offer', fileName: plan.fileName, mimeType: plan.mimeType, stream: bytes.stream } satisfies ExportProducerMessage, [
      bytes.stream as unknown as Transferable,
    ]);
  });
}
