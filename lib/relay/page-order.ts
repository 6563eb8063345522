/**
 * The hook's messages in the order it gave them. Most come on the private port; sparse traffic and the last words
 * come synchronously (LastWords) and may overtake what is still on the port (a batch posted a moment before, a
 * piece of a large text). Each carries its number (HookPostNumber, from 1 per port): one that comes early waits
 * here for those before it, so a connection's open is never stored after its frames.
 *
 * A document that goes never delivers what was still on its port: `release` then takes what waits, in order,
 * skipping the missing numbers. Waiting is bounded (MAX_WAITING): past it the order gives way rather than memory.
 */
export const MAX_WAITING = 1024;

export class PageOrder<T> {
  private next = 1;
  private readonly waiting = new Map<number, T>();
  private readonly take: (msg: T) => void;

  constructor(take: (msg: T) => void) {
    this.take = take;
  }

  /** How many messages wait for an earlier one. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** A message numbered `n` (undefined: unnumbered, taken at once). */
  accept(n: unknown, msg: T): void {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < this.next) {
      this.take(msg); // unnumbered, or one given up on by a release: late rather than lost
      return;
    }
    if (n > this.next) {
      this.waiting.set(n, msg);
      if (this.waiting.size > MAX_WAITING) this.release();
      return;
    }
    this.next++;
    this.take(msg);
    this.drain();
  }

  /** Takes every waiting message now, in order (the page is leaving: the missing ones will not come). */
  release(): void {
    if (this.waiting.size === 0) return;
    const numbers = [...this.waiting.keys()].sort((a, b) => a - b);
    this.next = numbers[0];
    this.drain();
    if (this.waiting.size > 0) this.release();
  }

  private drain(): void {
    for (let msg = this.waiting.get(this.next); msg !== undefined; msg = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.next++;
      this.take(msg);
    }
  }
}
