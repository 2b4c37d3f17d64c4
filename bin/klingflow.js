#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx klingflow` works right after
// `npm ci` in a checkout with no build step to remember.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
