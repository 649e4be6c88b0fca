// The second half of `npm run build`: after tsc -b has type-checked and compiled every workspace to
// dist/, esbuild bundles each app's compiled entry (apps/<app>/dist/main.js) into apps/<app>/bundle/,
// so a process starts by loading a few files rather than resolving and compiling hundreds of modules.
// Code splitting keeps every dynamic import() a chunk of its own that loads only when it runs (the
// CLI's commands, the lazily loaded stages). Chunks sit beside main.js: a module that finds the
// repository from its own location (apps/<app>/{src,dist,bundle}/<file>) finds it from a chunk too.
// bundle/metafile.json maps each output file to the modules in it (what test/integration/
// compiled-build.test.ts reads to tell which modules a process ran).
//
//   node infra/bundle-apps.mjs        (npm run build runs it after tsc -b)
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ioredisVersionPlugin } from './bundle-ioredis-version.mjs';
import { keepCurrentAndPrevious, recordedOutputs } from './bundle-outputs.mjs';

// Not import.meta.dirname: that needs Node 20.11, and gavel runs on any Node 20.
const ROOT = fileURLToPath(new URL('..', import.meta.url));

// What stays in node_modules and loads from there at run time (resolved from apps/<app>/bundle/, so from
// the root node_modules, where npm hoists them), each for a reason:
const EXTERNAL = [
  // native addons (dockerode → docker-modem → ssh2 → cpu-features): a .node binary cannot be bundled
  'ssh2',
  'cpu-features',
  // msgpackr's optional native extractor: its loader finds the binary from its own __dirname
  'msgpackr-extract',
  // Bull Board finds its UI's static files and views at run time through a direct eval of
  // require.resolve('@bull-board/ui/package.json'), which a bundle cannot follow (nor rename around)
  '@bull-board/*',
  // …and @bull-board/express requires express from there: bundling the board's own copy would load two
  'express',
  // pino's transports (pino-pretty) run in a worker thread that thread-stream starts from a file in its package
  'pino',
  'pino-pretty',
  'thread-stream',
];

// ESM output has no `require`; the CommonJS modules bundled into it (ioredis, BullMQ's dependencies,
// prom-client…) call it for Node's built-ins and for the externals above.
const BANNER =
  "import { createRequire as __gavelCreateRequire } from 'node:module'; const require = __gavelCreateRequire(import.meta.url);";

const apps = readdirSync(join(ROOT, 'apps')).filter((app) => existsSync(join(ROOT, 'apps', app, 'src', 'main.ts')));

const results = await Promise.all(
  apps.map(async (app) => {
    const outdir = join(ROOT, 'apps', app, 'bundle');
    // Chunk names carry a hash: the previous build's stay beside this one's (for processes still
    // running it), older ones go once this build is written (bundle-outputs.mjs).
    const previous = recordedOutputs(outdir);
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: [join('apps', app, 'dist', 'main.js')],
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: EXTERNAL,
      banner: { js: BANNER },
      plugins: [ioredisVersionPlugin()],
      sourcemap: true,
      sourcesContent: false,
      metafile: true,
      logLevel: 'warning',
    });
    writeFileSync(join(outdir, 'metafile.json'), JSON.stringify(result.metafile));
    const current = Object.keys(result.metafile.outputs).map((file) => relative(outdir, join(ROOT, file)));
    keepCurrentAndPrevious(outdir, current, previous);
    return { app, warnings: result.warnings.length };
  }),
);
const warned = results.filter((r) => r.warnings > 0);
if (warned.length > 0) {
  // A warning is a bundle that may not run (a dynamic require esbuild could not follow): fix or mark external.
  process.stderr.write(`bundle-apps: warnings in ${warned.map((r) => r.app).join(', ')}\n`);
  process.exit(1);
}
