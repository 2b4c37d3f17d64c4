#!/usr/bin/env node
// In a checkout (the TypeScript sources are next to this file) the CLI runs them through tsx, a
// development dependency: `npx klingflow` works right after `npm ci` with no build step, and
// never runs a stale dist/. An installed package or the image has no sources: it runs dist/.
import { existsSync } from 'node:fs';

async function registerTsx() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return true;
  } catch {
    // `npm ci --omit=dev` in a checkout: no tsx, so use dist/ if it was built.
    return false;
  }
}

const sources = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(sources) && (await registerTsx())) {
  await import(sources.href);
} else {
  await import('../dist/src/cli/main.js');
}
