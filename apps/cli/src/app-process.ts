import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const APPS_DIR = join(HERE, '..', '..');

/**
 * True when this CLI runs from its TypeScript sources (through tsx, in development and in the tests)
 * rather than from its compiled `dist/` (what `gavel` runs on plain Node).
 */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** Node's arguments that run a workspace's TypeScript sources: its packages resolve to `src/*.ts`. */
export const SOURCE_NODE_ARGS: readonly string[] = ['--conditions=@gavel/source', '--import', 'tsx'];

/**
 * Node's arguments that start one of gavel's apps (`apps/<app>`) the way this CLI itself runs:
 * compiled (`node apps/<app>/dist/main.js`, plain Node) or, when the CLI runs from source, that app's
 * `src/main.ts` through tsx — so a test of the CLI also runs the workers it starts from source.
 */
export function appProcessArgs(app: string): string[] {
  if (FROM_SOURCE) return [...SOURCE_NODE_ARGS, join(APPS_DIR, app, 'src', 'main.ts')];
  const main = join(APPS_DIR, app, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\``);
  return [main];
}
