// An esbuild plugin for `npm run build`: ioredis tells Redis its version on every connection
// (`CLIENT SETINFO LIB-VER`, Redis ≥ 7.2 shows it in CLIENT LIST), reading it from its package.json
// beside its own __dirname. Bundled into ESM there is no __dirname (and no ioredis directory beside
// the bundle), so every bundled process would report "error-fetching-version". The plugin writes the
// version of the ioredis being bundled into that one function; a newer ioredis whose code no longer
// matches fails the build, so this is redone rather than silently lost.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const READ_PACKAGE_JSON =
  /const filePath = \(0, path_1\.resolve\)\(__dirname, "\.\.", "\.\.", "package\.json"\);\s*const data = await fs_1\.promises\.readFile\(filePath, "utf8"\);/;

/** @returns {import('esbuild').Plugin} */
export function ioredisVersionPlugin() {
  return {
    name: 'gavel-ioredis-version',
    setup(build) {
      build.onLoad({ filter: /[\\/]ioredis[\\/]built[\\/]utils[\\/]index\.js$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const packageJson = join(dirname(args.path), '..', '..', 'package.json');
        const { version } = JSON.parse(readFileSync(packageJson, 'utf8'));
        if (!READ_PACKAGE_JSON.test(source)) {
          return {
            errors: [
              {
                text: `ioredis ${version}: getPackageMeta no longer reads package.json as infra/bundle-ioredis-version.mjs expects; update the plugin`,
              },
            ],
          };
        }
        const data = JSON.stringify(JSON.stringify({ version }));
        return { contents: source.replace(READ_PACKAGE_JSON, `const data = ${data};`), loader: 'js' };
      });
    },
  };
}
