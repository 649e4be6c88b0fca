// `node --import <this file>` (through NODE_OPTIONS, so the processes it starts inherit it): every
// module the process loads through Node's ESM loader is appended, as `<pid> <url>`, to the file named
// by GAVEL_TEST_MODULE_LOG. The compiled-build test reads it to show what a process ran.
import { register } from 'node:module';

register('./module-log-hooks.mjs', import.meta.url);
