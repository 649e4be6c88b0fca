import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root directory, found from this module's place: `apps/cli/src/` from source,
 * `apps/cli/dist/` compiled, or `apps/cli/bundle/` bundled (where this code lands in a chunk beside
 * `main.js`) — each two directories below `apps/`. A module deeper in `src/` (a command) takes its
 * paths from here, not from its own location, which the bundle does not keep.
 */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
