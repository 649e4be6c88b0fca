import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// This module's directory: apps/cli/src (from source), apps/cli/dist (tsc's output) or apps/cli/bundle
// (esbuild's, what `gavel` runs; this code lands in a chunk beside main.js).
const HERE = dirname(fileURLToPath(import.meta.url));
const APPS_DIR = join(HERE, '..', '..');

/**
 * True when this CLI runs from its TypeScript sources (through tsx, in development and in the tests)
 * rather than built (`dist/` or `bundle/`, on plain Node).
 */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** Node's arguments that run a workspace's TypeScript sources: its packages resolve to `src/*.ts`. */
export const SOURCE_NODE_ARGS: readonly string[] = ['--conditions=@gavel/source', '--import', 'tsx'];

/**
 * Node's arguments that start one of gavel's apps (`apps/<app>`) the way this CLI itself runs:
 * bundled (`node apps/<app>/bundle/main.js`, what `gavel` runs), tsc's `dist/main.js`, or, when the CLI
 * runs from source, that app's `src/main.ts` through tsx — so a test of the CLI also runs the workers it
 * starts from source.
 */
export function appProcessArgs(app: string): string[] {
  if (FROM_SOURCE) return [...SOURCE_NODE_ARGS, join(APPS_DIR, app, 'src', 'main.ts')];
  const main = join(APPS_DIR, app, basename(HERE), 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\``);
  return [main];
}
