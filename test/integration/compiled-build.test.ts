import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { GAVEL_VERSION } from '@gavel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBundleFile, modulesRun } from '../support/bundle-modules.ts';
import { jsonl, ROOT, textSample } from '../support/gavel.ts';
import { startOtlpReceiver } from '../support/otlp-receiver.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// The compiled build as users and the images run it: `npm run build` (tsc -b, then esbuild bundles each
// app into apps/<app>/bundle/) then plain Node — no tsx, no `@gavel/source` condition — for the `gavel`
// bin and every app's `bundle/main.js` (and tsc's `dist/main.js`, which still runs). Every process
// records the files it loads (test/support/module-log.mjs) and the bundle's metafile says which modules
// each file holds (test/support/bundle-modules.ts), so the test can show what each process ran: no
// TypeScript, and no module a light command must not load.

const run = promisify(execFile);
const BIN = join(ROOT, 'apps', 'cli', 'bin', 'gavel.js');
const MODULE_LOG_HOOK = pathToFileURL(join(ROOT, 'test', 'support', 'module-log.mjs')).href;

interface Workspace {
  dir: string;
  pkg: { name: string; exports?: unknown; dependencies?: Record<string, string>; scripts?: Record<string, string> };
}

const workspaces: Workspace[] = ['apps', 'packages'].flatMap((parent) =>
  readdirSync(join(ROOT, parent))
    .filter((name) => existsSync(join(ROOT, parent, name, 'package.json')))
    .map((name) => ({
      dir: `${parent}/${name}`,
      pkg: JSON.parse(readFileSync(join(ROOT, parent, name, 'package.json'), 'utf8')),
    })),
);
const byName = new Map(workspaces.map((w) => [w.pkg.name, w]));
const apps = workspaces.filter((w) => w.dir.startsWith('apps/') && existsSync(join(ROOT, w.dir, 'src', 'main.ts')));

let redis: RedisServer;
let dir: string;
let moduleLog: string;

/** Plain Node's environment: no inherited NODE_OPTIONS, only the module recorder. */
function plainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  return {
    ...env,
    NODE_OPTIONS: `--import=${MODULE_LOG_HOOK}`,
    GAVEL_TEST_MODULE_LOG: moduleLog,
    GAVEL_LOG_LEVEL: 'warn',
    ...extra,
  };
}

async function plainNode(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: ROOT, env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The files the recorded processes loaded: `pid → URLs`. */
async function loadedFiles(): Promise<Map<number, string[]>> {
  const byPid = new Map<number, string[]>();
  for (const line of (await readFile(moduleLog, 'utf8')).split('\n')) {
    const [pid, url] = line.split(' ');
    if (!pid || !url) continue;
    byPid.set(Number(pid), [...(byPid.get(Number(pid)) ?? []), url]);
  }
  return byPid;
}

/** The modules the recorded processes ran (a bundle file stands for the modules in it): `pid → URLs`. */
async function loadedModules(): Promise<Map<number, string[]>> {
  return new Map([...(await loadedFiles())].map(([pid, urls]) => [pid, modulesRun(urls)]));
}

const typescriptOrTsx = (url: string) => /\.[cm]?ts$/.test(url) || url.includes('/node_modules/tsx/');

beforeAll(async () => {
  // tsc -b rebuilds only what changed, then every bundle is rebuilt: never a stale dist/ or bundle/.
  await run('npm', ['run', '--silent', 'build'], { cwd: ROOT, timeout: 300_000 });
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'gavel-compiled-'));
  moduleLog = join(dir, 'modules.log');
  await writeFile(moduleLog, '');
}, 320_000);

afterAll(async () => {
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('every workspace follows the build pattern (README: "The compiled build")', () => {
  it.each(workspaces.map((w) => [w.dir, w] as const))('%s', (_dir, w) => {
    const config = JSON.parse(readFileSync(join(ROOT, w.dir, 'tsconfig.build.json'), 'utf8'));
    expect(config.extends).toBe('../../tsconfig.build.json');
    // tsc -b builds a workspace after the workspaces its package.json depends on, and only those.
    const deps = Object.keys(w.pkg.dependencies ?? {}).filter((name) => name.startsWith('@gavel/'));
    const expected = deps
      .map((name) => {
        const dep = byName.get(name);
        if (!dep) throw new Error(`${w.dir} depends on ${name}, which is no workspace`);
        return relative(join(ROOT, w.dir), join(ROOT, dep.dir, 'tsconfig.build.json'));
      })
      .sort();
    expect((config.references ?? []).map((r: { path: string }) => r.path).sort()).toEqual(expected);
    if (w.dir.startsWith('packages/')) {
      // `.` is src/index.ts; a light entry (`./settings`: src/settings.ts) follows the same pattern.
      const exports = (w.pkg.exports ?? {}) as Record<string, unknown>;
      expect(Object.keys(exports)).toContain('.');
      for (const [entry, target] of Object.entries(exports)) {
        const name = entry === '.' ? 'index' : entry.replace(/^\.\//, '');
        expect(name).toMatch(/^[a-z][a-z-]*$/);
        expect(target).toEqual({
          '@gavel/source': `./src/${name}.ts`,
          types: `./dist/${name}.d.ts`,
          default: `./dist/${name}.js`,
        });
        expect(existsSync(join(ROOT, w.dir, 'dist', `${name}.js`))).toBe(true);
      }
    }
    if (apps.includes(w)) {
      expect(existsSync(join(ROOT, w.dir, 'dist', 'main.js'))).toBe(true);
      expect(existsSync(join(ROOT, w.dir, 'bundle', 'main.js'))).toBe(true);
      if (w.pkg.scripts?.start) expect(w.pkg.scripts.start).toBe('node bundle/main.js');
    }
  });
});

describe('the compiled build on plain Node', () => {
  it('`gavel --version` prints the version, loading none of the queue, Redis, metrics, tracing or log libraries', async () => {
    await writeFile(moduleLog, '');
    const result = await plainNode([BIN, '--version'], plainEnv());
    expect(result).toMatchObject({ code: 0, stdout: `${GAVEL_VERSION}\n` });
    // Each command's modules load when it runs; before, a module every start loads imported
    // @gavel/queue and with it about 400 CommonJS modules (BullMQ, ioredis, prom-client, OpenTelemetry).
    const heavy = /\/node_modules\/(bullmq|bullmq-otel|ioredis|prom-client|@opentelemetry\/[^/]+|pino|dockerode)\//;
    // Bundled, they sit in chunks of their own that load only when a command imports them.
    const files = [...(await loadedFiles()).values()].flat();
    expect(files.some((url) => url.endsWith('/apps/cli/bundle/main.js'))).toBe(true);
    const loaded = modulesRun(files);
    expect(loaded.some((url) => url.endsWith('/node_modules/commander/lib/command.js'))).toBe(true);
    expect(loaded.filter((url) => heavy.test(url))).toEqual([]);
  });

  // Every app but the CLI (whose bin is tested here throughout) is a long-running process.
  it.each(
    apps.filter((a) => a.dir !== 'apps/cli').flatMap((a) => [[a.dir, 'bundle'] as const, [a.dir, 'dist'] as const]),
  )('%s: %s/main.js loads and stops on a configuration mistake with one line (exit 78)', async (app, build) => {
    const result = await plainNode([join(ROOT, app, build, 'main.js')], plainEnv({ GAVEL_REDIS_URL: 'not-a-url' }));
    expect(result.code, result.stderr).toBe(78);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('GAVEL_REDIS_URL');
  });

  it('with tracing on, the compiled CLI exports one `gavel.enqueue` root span per sample', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const data = join(dir, 'traced.jsonl');
      await writeFile(data, jsonl([textSample(0), textSample(1)]));
      const env = plainEnv({ GAVEL_REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
      const enqueued = await plainNode([BIN, 'enqueue', data, '--run', 'compiled-traced'], env);
      expect(enqueued.code, enqueued.stderr).toBe(0);
      const roots = receiver.spans.filter((s) => s.name === 'gavel.enqueue');
      expect(roots.map((s) => [s.service, s.attributes['gavel.sample_id'], s.parentSpanId]).sort()).toEqual([
        ['gavel-producer', 's-0', undefined],
        ['gavel-producer', 's-1', undefined],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('a run goes through the compiled CLI and the compiled workers it starts, and no process runs TypeScript', async () => {
    await writeFile(moduleLog, '');
    const env = plainEnv({ GAVEL_REDIS_URL: redis.url, GAVEL_SANDBOX: 'none', GAVEL_JUDGE: 'facts' });
    const data = join(dir, 'run.jsonl');
    await writeFile(data, jsonl([textSample(0), textSample(1), textSample(2)]));
    const enqueued = await plainNode([BIN, 'enqueue', data, '--run', 'compiled'], env);
    expect(enqueued.code, enqueued.stderr).toBe(0);

    const workers = execFile(process.execPath, [BIN, 'workers', '--stages', 'sandbox,judge'], { cwd: ROOT, env });
    let workersOut = '';
    workers.stderr?.on('data', (c: Buffer) => {
      workersOut += c.toString();
    });
    try {
      const waited = await plainNode([BIN, 'wait', 'compiled', '--timeout', '90'], env);
      expect(waited.code, `${waited.stderr}\n${workersOut}`).toBe(0);
    } finally {
      const exited = new Promise((resolve) => workers.once('exit', resolve));
      workers.kill('SIGTERM');
      await exited;
    }
    const exported = await plainNode([BIN, 'export', 'compiled'], env);
    const records = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    // Facts-only judging against the reference: "Paris" passes, "London" and "Berlin" do not.
    expect(records.map((r) => [r.sample_id, r.verdict?.pass])).toEqual([
      ['s-0', true],
      ['s-1', false],
      ['s-2', false],
    ]);

    const files = await loadedFiles();
    // The review page reads its script and style sheet from @gavel/report's src/, wherever the bundle runs.
    const reviewPath = join(dir, 'review.html');
    const reviewed = await plainNode([BIN, 'review', 'compiled', '--out', reviewPath], env);
    expect(reviewed.code, reviewed.stderr).toBe(0);
    const html = await readFile(reviewPath, 'utf8');
    expect(html).toContain(readFileSync(join(ROOT, 'packages', 'report', 'src', 'review-page-view.js'), 'utf8'));
    expect(html).toContain(readFileSync(join(ROOT, 'packages', 'report', 'src', 'review-page.css'), 'utf8'));

    const modules = await loadedModules();
    const workerPids = [...workersOut.matchAll(/worker-(sandbox|judge) started \(pid (\d+)\)/g)].map((m) =>
      Number(m[2]),
    );
    expect(workerPids).toHaveLength(2);
    for (const pid of workerPids) {
      const urls = files.get(pid) ?? [];
      expect(
        urls.some((url) => /\/apps\/worker-(sandbox|judge)\/bundle\/main\.js$/.test(url)),
        `worker ${pid} ran its bundle`,
      ).toBe(true);
      expect(
        urls.filter((url) => url.includes('/dist/')),
        `worker ${pid} loaded no file of dist/`,
      ).toEqual([]);
    }
    // `gavel enqueue` starts without what grading needs: no SDK, no HTTP client, no arbiter or generate stage.
    const enqueueUrls = [...modules.values()].find((urls) => urls.some((url) => url.endsWith('/commands/enqueue.js')));
    expect(enqueueUrls?.length ?? 0).toBeGreaterThan(0);
    expect(
      (enqueueUrls ?? []).filter((url) =>
        /\/node_modules\/(openai|undici)\/|\/packages\/(arbiter|generate)\/|\/packages\/judge\/dist\/index\.js$/.test(
          url,
        ),
      ),
    ).toEqual([]);
    const ranTypeScript = [...modules.values()].flat().filter(typescriptOrTsx);
    expect(ranTypeScript).toEqual([]);
    // Every process ran bundles: the CLI's and each worker's, no module of a workspace from its dist/.
    for (const [pid, urls] of files) {
      expect(urls.some(isBundleFile), `process ${pid} ran a bundle`).toBe(true);
      expect(
        urls.filter((url) => /\/(apps|packages)\/[^/]+\/dist\//.test(url)),
        `process ${pid}`,
      ).toEqual([]);
    }
    expect(modules.size).toBeGreaterThanOrEqual(6); // enqueue, workers, its two workers, wait, export, review
  });

  it.each([
    ['status', ['status', 'compiled'], '/packages/runs/dist/progress.js'],
    ['wait', ['wait', 'compiled', '--timeout', '30'], '/packages/arbiter/dist/state.js'],
  ])(
    '`gavel %s` loads the run store and its queues only: no report, export, judge, rubric or arbiter request modules',
    async (_name, args, light) => {
      await writeFile(moduleLog, '');
      const env = plainEnv({ GAVEL_REDIS_URL: redis.url });
      const result = await plainNode([BIN, ...args], env);
      expect(result.code, result.stderr).toBe(0);
      const files = [...(await loadedFiles()).values()].flat();
      expect(files.some(isBundleFile)).toBe(true);
      const loaded = modulesRun(files);
      expect(loaded.some((url) => url.endsWith(light))).toBe(true);
      // Before, `@gavel/runs` or `@gavel/arbiter` whole: the report, the judge (undici), the rubric loader
      // (yaml), the arbiter's request building and its SDK.
      expect(
        loaded.filter((url) =>
          /\/node_modules\/(openai|undici|yaml|@anthropic-ai\/sdk)\/|\/packages\/(report|judge|rubric)\/|\/packages\/(runs|arbiter)\/dist\/index\.js$/.test(
            url,
          ),
        ),
      ).toEqual([]);
    },
  );
});
