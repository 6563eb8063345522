// The extension as wxt.config.ts builds it, but not minified, so CPU profiles name our functions
// (bench/profile.mjs builds with it into .output-bench/profile).
import { defineConfig } from 'wxt';
import base from '../wxt.config';

export default defineConfig({
  ...base,
  root: process.cwd(),
  vite: () => ({ build: { minify: false } }),
});
