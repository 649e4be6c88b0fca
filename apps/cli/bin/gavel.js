#!/usr/bin/env node
// The `gavel` command: runs the TypeScript CLI through tsx (workspace packages are source, no build).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
