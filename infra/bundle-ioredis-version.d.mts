import type { Plugin } from 'esbuild';

export declare function ioredisVersionPlugin(): Plugin;
