#!/usr/bin/env node
// The `gavel` command: the bundled CLI (`npm run build` writes apps/cli/bundle) on plain Node.
// From the TypeScript sources, in development: node --conditions=@gavel/source --import tsx apps/cli/src/main.ts
import { existsSync } from 'node:fs';

const main = new URL('../bundle/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('gavel is not built (apps/cli/bundle/main.js is missing): run `npm run build` in the repository');
  process.exit(78);
}
await import(main.href);
