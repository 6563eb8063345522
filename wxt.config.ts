import { defineConfig } from 'wxt';
import { sourceExcludes } from './scripts/zip-sources';

// The manifest is generated per browser from one source. Permissions are the minimum the features need;
// README.md ("Permissions") says why each one is there.
export default defineConfig({
  // WXT_OUT_DIR lets parallel builds (tests, benchmarks) keep out of each other's way.
  outDir: process.env.WXT_OUT_DIR ?? '.output',
  modules: ['@wxt-dev/module-svelte', '@wxt-dev/webextension-polyfill'],
  // MV3 for every browser: WXT would build Firefox as MV2 by default. Firefox ESR 153 runs the MV3 build
  // (MAIN-world content scripts, event-page background, storage.session), so one manifest shape serves both.
  manifestVersion: 3,
  // `wxt zip -b firefox` also makes the sources zip AMO asks for: everything needed to rebuild, nothing git ignores.
  zip: { excludeSources: sourceExcludes() },
  manifest: ({ browser }) => ({
    name: 'WebSocket Inspector',
    description: 'Capture, inspect, edit, resend, export and replay WebSocket traffic from DevTools.',
    permissions: ['storage', 'unlimitedStorage'],
    // No host_permissions at install: the content scripts' own `matches` let them run on every page. Handshakes
    // (webRequest on every site) are optional, asked for from the panel when the user wants them
    // (lib/shared/handshake-access.ts), never at install.
    optional_permissions: ['webRequest'],
    optional_host_permissions: ['<all_urls>'],
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
      : {
          // Chrome 148+: runtime ports use structured clone instead of JSON. Capture batches carry binary payloads
          // as raw ArrayBuffers (lib/shared/packed-batch.ts), which JSON would turn into {}: so 148 is the minimum.
          message_serialization: 'structured_clone',
          minimum_chrome_version: '148',
        }),
  }),
});
