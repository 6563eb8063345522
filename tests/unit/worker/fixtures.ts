import { NAMESPACE } from '@/lib/shared/protocol';
import { memoryPortPair, type Port } from '@/lib/shared/transport';

/**
 * The far end of a port handed to the background (a relay's or a panel's), over memoryPortPair: it records what
 * the background sends and sends as the other context would. Delivery is asynchronous, as on a real port.
 */
export class PeerPort<FromBackground> {
  /** The end the background gets. */
  readonly port: Port<FromBackground>;
  private readonly end: Port<unknown>;
  posted: FromBackground[] = [];
  /** The background closed the port. */
  disconnected = false;

  constructor() {
    const [theirs, ours] = memoryPortPair<FromBackground, unknown>();
    this.port = theirs;
    this.end = ours;
    ours.listen(
      (m) => this.posted.push(m as FromBackground),
      () => (this.disconnected = true),
    );
  }

  /** Sends as the other context would (our namespace added). */
  send(body: Record<string, unknown>): void {
    this.end.send({ ns: NAMESPACE, ...body });
  }

  /** The other context went away. */
  drop(): void {
    this.end.disconnect();
  }

  of<T extends string>(type: T): Array<Extract<FromBackground, { type: T }>> {
    return this.posted.filter((m) => (m as { type: string }).type === type) as Array<Extract<FromBackground, { type: T }>>;
  }
}

/** Waits until `check` holds: the background works through ports and IndexedDB asynchronously. */
export async function until(check: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
