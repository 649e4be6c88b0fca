import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ROOT } from './gavel.ts';

// A bundled process loads a few files of apps/<app>/bundle/, each holding many modules: the bundle's
// metafile.json (written by infra/bundle-apps.mjs, esbuild's own map of each output file to its inputs)
// says which. With it, what a process ran reads as modules again, bundled or not.

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

const metafiles = new Map<string, Metafile>();
const BUNDLE_FILE = /\/apps\/([^/]+)\/bundle\/[^/]+\.js$/;

function metafile(app: string): Metafile {
  let meta = metafiles.get(app);
  if (!meta) {
    meta = JSON.parse(readFileSync(join(ROOT, 'apps', app, 'bundle', 'metafile.json'), 'utf8')) as Metafile;
    metafiles.set(app, meta);
  }
  return meta;
}

/** True when a loaded URL is a file of an app's bundle (`apps/<app>/bundle/*.js`). */
export const isBundleFile = (url: string): boolean => BUNDLE_FILE.test(url);

/**
 * The modules the loaded URLs ran: each bundle file stands for the modules esbuild put in it (file
 * URLs of their sources, e.g. `…/packages/queue/dist/index.js`, `…/node_modules/bullmq/…`), any other
 * URL for itself (a Node built-in, an external package loaded from node_modules).
 */
export function modulesRun(urls: readonly string[]): string[] {
  return urls.flatMap((url) => {
    const app = BUNDLE_FILE.exec(url)?.[1];
    if (!app || !url.startsWith('file:')) return [url];
    const output = fileURLToPath(url).slice(ROOT.length + 1);
    const entry = metafile(app).outputs[output];
    if (!entry) throw new Error(`${output} is not in apps/${app}/bundle/metafile.json: run \`npm run build\``);
    return [url, ...Object.keys(entry.inputs).map((input) => pathToFileURL(join(ROOT, input)).href)];
  });
}
