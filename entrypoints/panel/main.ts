import { mount } from 'svelte';
import { openFrameStore } from '@/lib/store/frame-store';
import { PORT_PANEL } from '@/lib/shared/protocol';
import { runtimePort } from '@/lib/shared/transport';
import { PanelState } from '@/lib/panel/panel-state.svelte';
import { resolveTheme } from '@/lib/panel/theme';
import { startChromeNetworkLog } from '@/lib/panel/devtools-network-link';
import { HANDSHAKE_ACCESS } from '@/lib/shared/handshake-access';
import App from './App.svelte';

// The same page runs as the DevTools panel (browser.devtools is there) and in a normal tab as
// panel.html?tabId=<id> (no browser.devtools; runtime messaging works the same).
const params = new URLSearchParams(location.search);
const devtools = browser.devtools as typeof browser.devtools | undefined;
const inDevtools = devtools?.inspectedWindow !== undefined;
const tabParam = Number(params.get('tabId'));
const tabId = inDevtools ? devtools!.inspectedWindow.tabId : params.has('tabId') && Number.isInteger(tabParam) && tabParam >= 0 ? tabParam : null;

const state = new PanelState({
  tabId,
  inDevtools,
  connect: () => runtimePort(browser.runtime.connect({ name: PORT_PANEL })),
  openDb: () => openFrameStore(),
  openInTab: (url) => {
    void browser.tabs.create({ url }).catch(() => window.open(url, '_blank'));
  },
  panelUrl: (id) => browser.runtime.getURL(id === null ? '/panel.html' : `/panel.html?tabId=${id}`),
  handshakeAccess: {
    granted: () => browser.permissions.contains(HANDSHAKE_ACCESS),
    request: () => browser.permissions.request(HANDSHAKE_ACCESS),
    // webRequest first: without it nothing is heard, even where host access stays (granted at install).
    revoke: async () => {
      const removed = await browser.permissions.remove({ permissions: HANDSHAKE_ACCESS.permissions });
      await browser.permissions.remove({ origins: HANDSHAKE_ACCESS.origins }).catch(() => false);
      return removed;
    },
    // Firefox alone has runtime.getBrowserInfo.
    appliesAfterRestart: typeof (browser.runtime as { getBrowserInfo?: unknown }).getBrowserInfo !== 'function',
    onChanged: (listener) => {
      browser.permissions.onAdded.addListener(listener);
      browser.permissions.onRemoved.addListener(listener);
    },
  },
  onNavigated: (listener) => {
    if (inDevtools) devtools!.network.onNavigated.addListener(() => listener());
    else if (tabId !== null) {
      browser.tabs.onUpdated.addListener((id, change) => {
        if (id === tabId && change.status === 'loading') listener();
      });
    }
  },
});

const prefersDark = window.matchMedia('(prefers-color-scheme: dark)');
const applyTheme = () => {
  state.theme = resolveTheme(params.get('theme'), inDevtools ? devtools!.panels.themeName : undefined, prefersDark.matches, state.prefs.themeOverride);
  document.documentElement.dataset.theme = state.theme;
};
applyTheme();
state.prefs.watchTheme(applyTheme); // the Settings override (the stored one once loaded)
if (!inDevtools) prefersDark.addEventListener('change', applyTheme);
const panelsApi = devtools?.panels as
  | { onThemeChanged?: { addListener(listener: () => void): void }; setThemeChangeHandler?: (handler: () => void) => void }
  | undefined;
panelsApi?.onThemeChanged?.addListener(applyTheme); // Firefox; Chrome takes a handler
panelsApi?.setThemeChangeHandler?.(applyTheme);

mount(App, { target: document.getElementById('app')!, props: { panel: state } });
void state.start().catch((error: unknown) => {
  state.link.fail(`The panel could not open its storage: ${error instanceof Error ? error.message : String(error)}`);
});
// Inside Chrome's DevTools, its network log adds workers' sockets and each handshake.
const stopNetwork = inDevtools && tabId !== null ? startChromeNetworkLog(tabId, () => runtimePort(browser.runtime.connect({ name: PORT_PANEL }))) : undefined;
addEventListener('pagehide', () => {
  stopNetwork?.();
  state.dispose();
});
