/**
 * Start-up and idle memory: the `gavel` CLI's start-up (`--version`, `status RUN`, `wait RUN` on a
 * finished run, `enqueue` of one sample) and every long-running process's idle RSS, three ways in the
 * same run, A B C A B C … so machine drift hits them alike:
 *   bundle  what users and the images run: `apps/cli/bin/gavel.js` and `apps/<app>/bundle/main.js`
 *           (`npm run build`: tsc, then esbuild), plain Node;
 *   dist    tsc's output alone, `apps/<app>/dist/main.js`, plain Node (the compiled build before the bundle);
 *   tsx     the same sources through tsx (how the tests run them).
 * Prints one JSON line per figure: wall and CPU (user + system, the whole process: less moved by load)
 * medians per way, and the ratios bundle / dist and bundle / tsx — the figures to compare across runs.
 *
 *   npm run build && node --conditions=@gavel/source --import tsx test/bench/startup-rss.ts [--runs 7] [--idle-ms 4000]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { jsonl, ROOT, SOURCE_NODE_ARGS, textSample } from '../support/gavel.ts';
import { startRedis } from '../support/redis.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, 'idle-ms': { type: 'string', default: '4000' } },
});
const RUNS = Number(values.runs);
const IDLE_MS = Number(values['idle-ms']);
const run = promisify(execFile);

type Mode = 'bundle' | 'dist' | 'tsx';
const MODES: readonly Mode[] = ['bundle', 'dist', 'tsx'];
const CPU_HOOK = ['--import', pathToFileURL(join(ROOT, 'test', 'support', 'cpu-at-exit.mjs')).href];

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const byMode = <T>(f: (mode: Mode) => T): Record<Mode, T> => ({ bundle: f('bundle'), dist: f('dist'), tsx: f('tsx') });

/** Node's arguments that run `apps/<app>` in a mode (the CLI starts its workers the same way). */
function appArgs(app: string, mode: Mode): string[] {
  if (mode === 'bundle') return [join(ROOT, 'apps', app, app === 'cli' ? 'bin/gavel.js' : 'bundle/main.js')];
  if (mode === 'dist') return [join(ROOT, 'apps', app, 'dist', 'main.js')];
  return [...SOURCE_NODE_ARGS, join(ROOT, 'apps', app, 'src', 'main.ts')];
}

async function rssKib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
}

const redis = await startRedis();
const dir = await mkdtemp(join(tmpdir(), 'gavel-bench-startup-'));
const cpuLog = join(dir, 'cpu.log');
const env = {
  ...process.env,
  GAVEL_REDIS_URL: redis.url,
  GAVEL_LOG_LEVEL: 'warn',
  GAVEL_SANDBOX: 'none',
  GAVEL_JUDGE: 'facts',
  GAVEL_BOARD_PORT: '0',
  GAVEL_API_PORT: '0',
  GAVEL_METRICS_PORT: '0',
  GAVEL_BENCH_CPU_LOG: cpuLog,
};
const gavel = (args: readonly string[]) => run(process.execPath, [...appArgs('cli', 'bundle'), ...args], { env });

/** One CLI start in a mode, to its exit: wall and CPU seconds. */
async function cliStart(mode: Mode, args: readonly string[]): Promise<{ wall: number; cpu: number }> {
  await writeFile(cpuLog, '');
  const started = performance.now();
  await run(process.execPath, [...CPU_HOOK, ...appArgs('cli', mode), ...args], { env, cwd: ROOT });
  const wall = (performance.now() - started) / 1000;
  const lines = (await readFile(cpuLog, 'utf8')).trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected one process's CPU time, got ${lines.length}`);
  return { wall, cpu: Number(lines[0]?.split(' ')[1]) };
}

try {
  // A run of 100 samples, none graded (no worker runs yet), for `gavel status` to read; a run of one
  // sample graded to its end, for `gavel wait` to find finished; one sample for `gavel enqueue`.
  const pending = join(dir, 'pending.jsonl');
  await writeFile(pending, jsonl(Array.from({ length: 100 }, (_, i) => textSample(i))));
  await gavel(['enqueue', pending, '--run', 'bench-startup']);
  const one = join(dir, 'one.jsonl');
  await writeFile(one, jsonl([textSample(0)]));
  await gavel(['enqueue', one, '--run', 'bench-done']);
  const workers = spawn(process.execPath, [...appArgs('cli', 'bundle'), 'workers', '--stages', 'sandbox,judge'], {
    env,
    stdio: 'ignore',
  });
  try {
    await gavel(['wait', 'bench-done', '--timeout', '60']);
  } finally {
    const exited = new Promise((resolve) => workers.once('exit', resolve));
    workers.kill('SIGTERM');
    await exited;
  }

  // ── CLI start-up: the whole process, A B C A B C … ──
  let enqueued = 0;
  for (const [label, args] of [
    ['cli_version', () => ['--version']],
    ['cli_status', () => ['status', 'bench-startup']],
    ['cli_wait', () => ['wait', 'bench-done']],
    ['cli_enqueue_one', () => ['enqueue', one, '--run', `bench-enqueue-${enqueued++}`]],
  ] as const) {
    const samples: Record<Mode, { wall: number; cpu: number }[]> = { bundle: [], dist: [], tsx: [] };
    for (let i = 0; i < RUNS + 1; i++) {
      for (const mode of MODES) {
        const sample = await cliStart(mode, args());
        if (i > 0) samples[mode].push(sample); // the first round warms the page cache
      }
    }
    const wall = byMode((m) => median(samples[m].map((s) => s.wall)));
    const cpu = byMode((m) => median(samples[m].map((s) => s.cpu)));
    emit({
      figure: label,
      runs: RUNS,
      wall_median_s: byMode((m) => round(wall[m])),
      cpu_median_s: byMode((m) => round(cpu[m])),
      bundle_over_dist_wall: round(wall.bundle / wall.dist),
      bundle_over_dist_cpu: round(cpu.bundle / cpu.dist),
      bundle_over_tsx_wall: round(wall.bundle / wall.tsx),
      wall_s: byMode((m) => samples[m].map((s) => round(s.wall))),
    });
  }

  // ── Idle RSS of every long-running process (started, then left idle for IDLE_MS) ──
  const apps = ['worker-sandbox', 'worker-judge', 'worker-arbiter-submit', 'worker-arbiter-collect', 'board', 'api'];
  for (const app of apps) {
    const rss: Record<Mode, number> = { bundle: 0, dist: 0, tsx: 0 };
    for (const mode of MODES) {
      const child = spawn(process.execPath, appArgs(app, mode), {
        env,
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      await sleep(IDLE_MS);
      if (child.exitCode !== null) throw new Error(`${app} (${mode}) exited ${child.exitCode}: ${stderr}`);
      rss[mode] = (await rssKib(child.pid as number)) / 1024;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    emit({
      figure: `${app}_idle_rss_mib`,
      idle_ms: IDLE_MS,
      rss_mib: byMode((m) => Math.round(rss[m])),
      bundle_over_dist: round(rss.bundle / rss.dist),
      bundle_over_tsx: round(rss.bundle / rss.tsx),
    });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
  await redis.stop();
}
