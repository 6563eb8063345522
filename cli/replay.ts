/**
 * The I/O half of the replayer: opens the connection with `ws`, sends on schedule, collects and prints replies.
 * Failures carry an exit code (see EXIT in main.ts) so scripts and CI can tell them apart.
 */
import WebSocket from 'ws';
import { byteLength, renderPayload } from './payload-print';
import type { ReplayMessage, ReplayScript } from './replay-script';

export const EXIT = {
  ok: 0,
  /** --expect: the replies differ from the recording. */
  mismatch: 1,
  /** Bad command-line arguments. */
  usage: 2,
  /** The file cannot be read or is not a valid recording. */
  file: 3,
  /** The server cannot be reached (refused, unknown host, unreachable network). */
  unreachable: 4,
  /** The server answered but the WebSocket handshake failed (not 101, subprotocol refused, timeout). */
  handshake: 5,
  /** The connection closed or broke before every frame was sent. */
  broken: 6,
} as const;

export class ReplayFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ReplayOutput {
  /** Replies, in order. */
  received: ReplayMessage[];
  sent: number;
  closeCode?: number;
  closeReason?: string;
}

export interface ReplayIo {
  out: (line: string) => void;
  /** Progress on a terminal only; null when stderr is not a TTY. */
  progress: ((sent: number, total: number, received: number) => void) | null;
  /** Keep listening this long after the last frame was sent (and the last recorded reply time). */
  waitMs: number;
  /** With --expect: stop listening as soon as this many replies came. */
  stopAfter?: number;
  handshakeTimeoutMs: number;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

export function replay(script: ReplayScript, io: ReplayIo): Promise<ReplayOutput> {
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(script.url, script.protocols, { handshakeTimeout: io.handshakeTimeoutMs });
    } catch (error) {
      reject(new ReplayFailure(EXIT.usage, `cannot open ${script.url}: ${(error as Error).message}`));
      return;
    }
    const received: ReplayMessage[] = [];
    let opened = false;
    let openedAt = 0;
    let sent = 0;
    let finished = false;
    const timers = new Set<NodeJS.Timeout>();
    let listenTimer: NodeJS.Timeout | undefined;

    const finish = (error?: ReplayFailure, close?: { code: number; reason: string }) => {
      if (finished) return;
      finished = true;
      for (const t of timers) clearTimeout(t);
      if (listenTimer) clearTimeout(listenTimer);
      if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'replay done');
      if (error) reject(error);
      else resolve({ received, sent, closeCode: close?.code, closeReason: close?.reason });
    };

    const report = () => io.progress?.(sent, script.sends.length, received.length);

    /** After the last send: listen until quiet for waitMs, past the last recorded reply, or until enough replies. */
    const listenForRest = () => {
      if (listenTimer) clearTimeout(listenTimer);
      if (io.stopAfter !== undefined && received.length >= io.stopAfter) {
        // A short grace period so an extra, unexpected reply is still seen.
        listenTimer = setTimeout(() => finish(), Math.min(200, io.waitMs));
        return;
      }
      const untilRecorded = openedAt + script.lastReplyAt - Date.now();
      listenTimer = setTimeout(() => finish(), Math.max(io.waitMs, untilRecorded + io.waitMs));
    };

    socket.on('unexpected-response', (_req, res) => {
      const status = `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
      res.resume();
      finish(new ReplayFailure(EXIT.handshake, `handshake failed: ${script.url} answered HTTP ${status} instead of 101 Switching Protocols`));
    });

    socket.on('error', (error: Error & { code?: string }) => {
      if (!opened) {
        if (error.code && UNREACHABLE.has(error.code)) {
          finish(new ReplayFailure(EXIT.unreachable, `cannot reach ${script.url}: ${error.code} (${error.message})`));
        } else {
          finish(new ReplayFailure(EXIT.handshake, `handshake failed with ${script.url}: ${error.message}`));
        }
      } else {
        finish(new ReplayFailure(EXIT.broken, `the connection broke after ${sent} of ${script.sends.length} frames: ${error.message}`));
      }
    });

    socket.on('open', () => {
      opened = true;
      openedAt = Date.now();
      io.out(`connected to ${script.url}${socket.protocol ? ` (subprotocol ${socket.protocol})` : ''}; sending ${script.sends.length} frame${script.sends.length === 1 ? '' : 's'}`);
      report();
      if (script.sends.length === 0) listenForRest();
      sendFrom(0);
    });

    let lastSentAt = 0;
    /** When frame i is due, in ms from now: recorded timing keeps offsets from open (no drift), a fixed gap counts from the previous send. */
    const dueIn = (i: number) => {
      if (script.timing.mode === 'fixed') return i > 0 ? lastSentAt + script.timing.delayMs - Date.now() : 0;
      if (script.timing.mode === 'fast') return 0;
      return openedAt + script.sends[i].at - Date.now();
    };
    /** Sends frames in order from i, one timer at a time (a million frames never means a million timers). */
    const sendFrom = (i: number) => {
      while (i < script.sends.length && !finished) {
        const wait = dueIn(i);
        if (wait > 0) {
          setTimer(() => sendFrom(i), wait);
          return;
        }
        if (socket.readyState !== WebSocket.OPEN) return;
        const message = script.sends[i];
        const index = i;
        socket.send(message.opcode === 2 ? message.bytes! : message.text!, { binary: message.opcode === 2 }, (error) => {
          if (error) finish(new ReplayFailure(EXIT.broken, `could not send frame ${index + 1}: ${error.message}`));
        });
        lastSentAt = Date.now();
        sent++;
        i++;
        report();
        if (sent === script.sends.length) listenForRest();
        // Let replies and the progress bar through now and then when sending without pauses.
        if (i % 500 === 0 && i < script.sends.length) {
          setTimer(() => sendFrom(i), 0);
          return;
        }
      }
    };
    const setTimer = (fn: () => void, ms: number) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
    };

    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const message: ReplayMessage = isBinary ? { opcode: 2, bytes: new Uint8Array(buffer) } : { opcode: 1, text: buffer.toString('utf8') };
      received.push(message);
      const elapsed = (Date.now() - openedAt).toFixed(0);
      io.out(`← reply ${received.length} at +${elapsed} ms, ${isBinary ? 'binary' : 'text'} ${byteLength(message)} B\n${renderPayload(message)}`);
      report();
      if (sent === script.sends.length) listenForRest();
    });

    socket.on('close', (code: number, reason: Buffer) => {
      const text = reason.toString('utf8');
      if (!opened) return; // 'error' already said why
      if (sent < script.sends.length) {
        finish(new ReplayFailure(EXIT.broken, `the server closed the connection (code ${code}${text ? `, ${JSON.stringify(text)}` : ''}) after ${sent} of ${script.sends.length} frames`));
        return;
      }
      io.out(`the server closed the connection: code ${code}${text ? `, reason ${JSON.stringify(text)}` : ''}`);
      finish(undefined, { code, reason: text });
    });
  });
}
