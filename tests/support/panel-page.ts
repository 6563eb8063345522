/**
 * What both browser harnesses (Playwright for Chromium, puppeteer for Firefox) measure inside the panel page: a
 * value of the settings store, the grid rows in view, and a bar's controls outside its box. Each function runs in
 * the page (pass it to `evaluate`) and is serialised as source, so it uses nothing from outside its own body.
 */

/** A value of the extension's `settings` store (every extension page shares the database); undefined until written. */
export function readSettingInPage(name: string): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    const open = indexedDB.open('websocket-inspector');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const get = open.result.transaction('settings').objectStore('settings').get(name);
      get.onsuccess = () => (open.result.close(), resolve(get.result));
      get.onerror = () => (open.result.close(), reject(get.error));
    };
  });
}

/** Data rows of the grid `el` wholly inside its box and the window. */
export function rowsInViewOf(el: Element): number {
  const box = el.getBoundingClientRect();
  const bottom = Math.min(box.bottom, window.innerHeight);
  return [...el.querySelectorAll('[role="row"]')].filter((row) => {
    if (!row.querySelector('[role="gridcell"]')) return false;
    const r = row.getBoundingClientRect();
    return r.height > 0 && r.top >= box.top - 0.5 && r.bottom <= bottom + 0.5;
  }).length;
}

/** Names of the controls of `el` shown on screen that stick out of its box (a wrapped or clipped line). */
export function controlsOutsideOf(el: Element): string[] {
  const box = el.getBoundingClientRect();
  const shown = (c: Element) => {
    const r = c.getBoundingClientRect();
    return getComputedStyle(c).visibility !== 'hidden' && r.width > 0 && r.height > 0 && !c.closest('[hidden], dialog');
  };
  return [...el.querySelectorAll('button, select, input, [role="status"]')]
    .filter(shown)
    .filter((c) => {
      const r = c.getBoundingClientRect();
      return r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5 || r.left < box.left - 0.5 || r.right > box.right + 0.5;
    })
    .map((c) => c.getAttribute('aria-label') ?? c.textContent?.trim() ?? c.tagName);
}
