/**
 * One transport interface for every hop that is a port: relay ⇄ background and panel ⇄ background (runtime
 * ports), and fakes in unit tests. Two methods, as React DevTools' Wall and Apollo Client DevTools' message
 * adapters: `send` what this side says, `listen` to what the other side says. What arrives is `unknown`: the
 * receiver validates it (a page can forge anything a renderer sends).
 */

export interface Port<Out> {
  /** Sends one message; throws when the port is gone (the caller decides whether to reconnect). */
  send(message: Out): void;
  /**
   * Calls `onMessage` for each message from the other side and `onDisconnect` once when the port closes from
   * the other side. Returns a cleanup that stops both.
   */
  listen(onMessage: (message: unknown) => void, onDisconnect?: () => void): () => void;
  /** Closes the port from this side (the other side's onDisconnect runs; this side's does not). */
  disconnect(): void;
}

/** A `browser.runtime.Port` (or Chrome's), described by what we use of it, so this module imports nothing. */
export interface RuntimePortLike {
  postMessage(message: unknown): void;
  onMessage: { addListener(listener: (message: unknown) => void): void; removeListener(listener: (message: unknown) => void): void };
  onDisconnect: { addListener(listener: () => void): void; removeListener(listener: () => void): void };
  disconnect(): void;
}

/** A runtime port as a Port. */
export function runtimePort<Out>(port: RuntimePortLike): Port<Out> {
  return {
    send: (message) => port.postMessage(message),
    listen(onMessage, onDisconnect) {
      const message = (m: unknown) => onMessage(m);
      const disconnect = () => onDisconnect?.();
      port.onMessage.addListener(message);
      port.onDisconnect.addListener(disconnect);
      return () => {
        port.onMessage.removeListener(message);
        port.onDisconnect.removeListener(disconnect);
      };
    },
    disconnect: () => port.disconnect(),
  };
}

/**
 * Two connected in-memory ports, for tests: what one sends the other receives, asynchronously (a microtask, as
 * a real port never delivers synchronously) and as a structured clone (as Chrome 148+ and Firefox ports do).
 */
export function memoryPortPair<AOut, BOut>(): [Port<AOut>, Port<BOut>] {
  type Side = { messages: Set<(m: unknown) => void>; disconnects: Set<() => void>; closed: boolean };
  const sides: [Side, Side] = [
    { messages: new Set(), disconnects: new Set(), closed: false },
    { messages: new Set(), disconnects: new Set(), closed: false },
  ];
  const make = <Out>(self: Side, other: Side): Port<Out> => ({
    send(message) {
      if (self.closed) throw new Error('Attempting to use a disconnected port object');
      const copy = structuredClone(message);
      queueMicrotask(() => {
        if (!other.closed) for (const listener of [...other.messages]) listener(copy);
      });
    },
    listen(onMessage, onDisconnect) {
      self.messages.add(onMessage);
      if (onDisconnect) self.disconnects.add(onDisconnect);
      return () => {
        self.messages.delete(onMessage);
        if (onDisconnect) self.disconnects.delete(onDisconnect);
      };
    },
    disconnect() {
      if (self.closed) return;
      self.closed = true;
      other.closed = true;
      queueMicrotask(() => {
        for (const listener of [...other.disconnects]) listener();
      });
    },
  });
  return [make<AOut>(sides[0], sides[1]), make<BOut>(sides[1], sides[0])];
}
