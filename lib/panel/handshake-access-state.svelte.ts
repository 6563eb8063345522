/**
 * Whether handshake capture (webRequest + host access, lib/shared/handshake-access.ts) is granted, and asking for
 * it or taking it back. The browser asks the user; a request must come straight from a click (no await before it),
 * which is why `request` calls the browser first and updates the state after.
 */

/** The browser's permissions, as the panel page sees them (absent: not an extension page, e.g. unit tests). */
export interface HandshakeAccess {
  granted(): Promise<boolean>;
  /** Asks the user (from a click); true when granted. */
  request(): Promise<boolean>;
  /** Takes it back; true when removed. */
  revoke(): Promise<boolean>;
  /** Calls back when it was granted or taken back elsewhere (Settings, the browser's extension page). */
  onChanged?(listener: () => void): void;
  /**
   * Chromium hands webRequest events to an extension that was granted the permission while running only after
   * the browser restarts (measured in Chromium 156: no event at all until then, listeners in the service worker
   * or a page alike); Firefox at once.
   */
  appliesAfterRestart?: boolean;
}

export class HandshakeAccessState {
  /** undefined until known (or when the page cannot have it). */
  granted = $state<boolean | undefined>(undefined);
  /** Why the last request did not work, in the user's words ('' when it did). */
  problem = $state('');

  constructor(private readonly access: HandshakeAccess | undefined) {
    access?.onChanged?.(() => void this.refresh());
  }

  /** Whether the browser starts handing handshakes over only after it restarts (Chromium). */
  get appliesAfterRestart(): boolean {
    return this.access?.appliesAfterRestart === true;
  }

  /** Whether the panel can ask at all. */
  get available(): boolean {
    return this.access !== undefined;
  }

  async refresh(): Promise<void> {
    if (!this.access) return;
    try {
      this.granted = await this.access.granted();
    } catch {
      this.granted = false;
    }
  }

  /** From a click: asks the browser, which asks the user. */
  request(): Promise<boolean> {
    if (!this.access) return Promise.resolve(false);
    const asked = this.access.request(); // first, synchronously in the click's task: browsers require it
    return asked.then(
      (granted) => {
        this.granted = granted;
        this.problem = granted ? '' : 'Not granted: handshakes are not captured.';
        return granted;
      },
      (error: unknown) => {
        this.problem = `Could not ask for access: ${error instanceof Error ? error.message : String(error)}`;
        return false;
      },
    );
  }

  async revoke(): Promise<void> {
    if (!this.access) return;
    try {
      await this.access.revoke();
    } finally {
      await this.refresh();
    }
  }
}
