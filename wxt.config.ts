import { defineConfig } from 'wxt';

// The manifest is generated per browser from one source. Permissions are the minimum the features need;
// README.md ("Permissions") says why each one is there.
export default defineConfig({
  // WXT_OUT_DIR lets parallel builds (tests, benchmarks) keep out of each other's way.
  outDir: process.env.WXT_OUT_DIR ?? '.output',
  modules: ['@wxt-dev/module-svelte', '@wxt-dev/webextension-polyfill'],
  manifest: ({ browser }) => ({
    name: 'WebSocket Inspector',
    description: 'Capture, inspect, edit, resend, export and replay WebSocket traffic from DevTools.',
    permissions: ['storage', 'unlimitedStorage'],
    host_permissions: ['<all_urls>'],
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: 'websocket-inspector@example.org',
              strict_min_version: '142.0',
              data_collection_permissions: { required: ['none'] },
            },
          },
        }
      : {}),
  }),
});
