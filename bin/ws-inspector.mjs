#!/usr/bin/env node
// Launcher for the bundled CLI. The bundle is built by `npm install` (postinstall) or `npm run build:cli`.
import { existsSync } from 'node:fs';

const bundle = new URL('../cli/dist/ws-inspector.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('ws-inspector: the CLI is not built yet; run `npm install` or `npm run build:cli` in the repository\n');
  process.exit(70);
}
await import(bundle.href);
