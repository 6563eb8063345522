// Bundles the TypeScript CLI (cli/entry.ts and the lib/io/formats and lib/shared code it shares with the extension) into one ESM
// file Node 20 can run: cli/dist/ws-inspector.mjs. Run by `postinstall` and `npm run build:cli`.
import { build } from 'rolldown';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  cwd: root,
  input: 'cli/entry.ts',
  platform: 'node',
  external: ['ws', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
  logLevel: 'warn',
  output: { file: 'cli/dist/ws-inspector.mjs', format: 'esm' },
});
