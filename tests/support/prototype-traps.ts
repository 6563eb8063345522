/**
 * A page that put accessors on Object.prototype and Array.prototype. A property the hook reads or writes on one
 * of its own objects or arrays, where that object lacks it, is looked up on these prototypes: the page's
 * accessor would run for us, and the page could tell. Used by the invisibility and act specs.
 */
import { readFileSync } from 'node:fs';

/**
 * Every property name the built page hook (`<extension dir>/content-scripts/page-hook.js`, with the modules it
 * imports) spells as `.name` or `name:` (which also covers destructuring once built), but those Object.prototype
 * has itself. A few extra names from strings and labels only add traps.
 */
export function hookPropertyNames(extensionDir: string): string[] {
  const source = readFileSync(`${extensionDir}/content-scripts/page-hook.js`, 'utf8');
  const names = new Set<string>();
  for (const m of source.matchAll(/\.([A-Za-z_$][\w$]*)|([A-Za-z_$][\w$]*)\??:/g)) names.add(m[1] ?? m[2]);
  // length, prototype and name are own properties of everything that has them.
  const skip = new Set([...Object.getOwnPropertyNames(Object.prototype), 'length', 'prototype', 'name']);
  return [...names].filter((n) => !skip.has(n));
}

/**
 * A page script: puts a noting accessor for each of `names` on Object.prototype and for indexes 0–63 on
 * Array.prototype. Calls are noted while `window.recording` is true, into the string `window.calls` (a string,
 * since the page's own array writes would run the index setters), except calls from Playwright's own scripts.
 * The setters store what they are given as an own property, so plain code still works. Sets `window.trapped`.
 */
export function prototypeTrapsScript(names: string[]): string {
  return `
    window.calls = '';
    window.recording = false;
    let noting = false;
    const note = (what) => {
      if (!window.recording || noting) return;
      noting = true;
      if (!String(new Error().stack).includes('UtilityScript')) window.calls += what + '\\n';
      noting = false;
    };
    // Descriptors without a prototype: some trapped names (value, get, writable…) are descriptor fields.
    const trap = (proto, key, label) => Object.defineProperty(proto, key, { __proto__: null, configurable: true,
      get() { note('get ' + label); return undefined; },
      set(v) { note('set ' + label); Object.defineProperty(this, key, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true }); } });
    for (const name of ${JSON.stringify(names)}) trap(Object.prototype, name, name);
    for (let i = 0; i < 64; i++) trap(Array.prototype, String(i), '[' + i + ']');
    window.trapped = true;
  `;
}

/**
 * Runs in the page (as source: the trap page sets it as `window.scenario`), from a timer of its own, so that no
 * frame of the test driver's is on the stack: every send and receive type, a text the hook posts in pieces, a
 * binary frame over a batch's limit, a close with a code, a refused connection with subprotocols.
 */
export async function prototypeAccessorScenario(wsOrigin: string) {
  const w = window as any;
  const out: unknown[] = [];
  w.recording = true;
  const ws = new WebSocket(`${wsOrigin}/echo`, 'chat');
  ws.binaryType = 'arraybuffer';
  await new Promise((r) => ws.addEventListener('open', r));
  let got = 0;
  let wanted = 0;
  let done: () => void = () => {};
  ws.onmessage = (e) => {
    out.push(typeof e.data === 'string' ? e.data.length : e.data instanceof Blob ? 'blob' : e.data.byteLength);
    if (++got === wanted) done();
  };
  const exchange = (send: () => void, n: number) =>
    new Promise<void>((r) => {
      got = 0;
      wanted = n;
      done = r;
      send();
    });
  await exchange(() => {
    ws.send('text');
    ws.send(new Uint8Array([1, 2, 3, 4]).buffer);
    ws.send(new Uint8Array([0, 1, 2, 3, 4, 5]).subarray(2, 4));
    ws.send(new DataView(new ArrayBuffer(8), 2, 3));
    ws.send(new Blob(['blob', new Uint8Array([7])]));
  }, 5);
  await exchange(() => ws.send('x'.repeat(700_000) + '\u{1F600}'), 1); // a text the hook posts in pieces
  await exchange(() => ws.send(new Uint8Array(3 << 20)), 1); // a binary frame over a batch's limit
  ws.binaryType = 'blob';
  await exchange(() => ws.send(new Uint8Array([9, 9])), 1);
  await new Promise((r) => setTimeout(r, 300)); // batches flush meanwhile
  ws.close(4000, 'bye');
  await new Promise((r) => ws.addEventListener('close', r));
  const refused = new WebSocket('ws://127.0.0.1:2/', ['a', 'b']); // nothing listens there
  await new Promise((r) => (refused.onclose = r));
  await new Promise((r) => setTimeout(r, 300));
  w.recording = false;
  return { out, calls: (w.calls as string).split('\n') };
}

/** The page for prototypeAccessorScenario: the traps for `names`, and the scenario as `window.scenario`. */
export function prototypeAccessorPage(names: string[]): string {
  return `<script>${prototypeTrapsScript(names)}
    window.scenario = ${prototypeAccessorScenario.toString()};
  </script>`;
}

/** Evaluated in that page: starts the scenario from a timer of the page's own; resolves with its result. */
export function runPrototypeAccessorScenario(wsOrigin: string) {
  const w = window as any;
  return new Promise<{ trapped: boolean; out: unknown[]; calls: string[] }>((resolve) =>
    setTimeout(() => w.scenario(wsOrigin).then((x: { out: unknown[]; calls: string[] }) => resolve({ trapped: w.trapped, ...x })), 0),
  );
}
