/**
 * Start-up and idle memory: the `gavel` CLI's start-up (`--version`, `status RUN`) and every
 * long-running process's idle RSS, compiled (`npm run build`, plain Node — what users and the images
 * run) beside the same code from source through tsx (how everything ran before the compiled build,
 * and how the tests still run it), in the same run, A B A B … so machine drift hits both alike.
 * Prints one JSON line per figure; the ratio compiled / tsx is the figure to compare across runs.
 *
 *   npm run build && node --conditions=@gavel/source --import tsx test/bench/startup-rss.ts [--runs 7] [--idle-ms 4000]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { jsonl, ROOT, SOURCE_NODE_ARGS, textSample } from '../support/gavel.ts';
import { startRedis } from '../support/redis.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, 'idle-ms': { type: 'string', default: '4000' } },
});
const RUNS = Number(values.runs);
const IDLE_MS = Number(values['idle-ms']);
const run = promisify(execFile);

type Mode = 'compiled' | 'tsx';
const MODES: readonly Mode[] = ['compiled', 'tsx'];

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Node's arguments that run `apps/<app>` in a mode. */
function appArgs(app: string, mode: Mode): string[] {
  if (mode === 'compiled') return [join(ROOT, 'apps', app, app === 'cli' ? 'bin/gavel.js' : 'dist/main.js')];
  return [...SOURCE_NODE_ARGS, join(ROOT, 'apps', app, 'src', 'main.ts')];
}

async function rssKib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
}

const redis = await startRedis();
const env = {
  ...process.env,
  GAVEL_REDIS_URL: redis.url,
  GAVEL_LOG_LEVEL: 'warn',
  GAVEL_SANDBOX: 'none',
  GAVEL_JUDGE: 'facts',
  GAVEL_BOARD_PORT: '0',
  GAVEL_API_PORT: '0',
  GAVEL_METRICS_PORT: '0',
};
try {
  // A run of 100 samples, none graded (no worker runs yet), for `gavel status` to read.
  const dir = await mkdtemp(join(tmpdir(), 'gavel-bench-startup-'));
  const file = join(dir, 'run.jsonl');
  await writeFile(file, jsonl(Array.from({ length: 100 }, (_, i) => textSample(i))));
  await run(process.execPath, [...appArgs('cli', 'compiled'), 'enqueue', file, '--run', 'bench-startup'], { env });
  await rm(dir, { recursive: true, force: true });

  // ── CLI start-up: the whole process, A B A B … ──
  for (const [label, args] of [
    ['cli_version', ['--version']],
    ['cli_status', ['status', 'bench-startup']],
  ] as const) {
    const wall: Record<Mode, number[]> = { compiled: [], tsx: [] };
    for (let i = 0; i < RUNS + 1; i++) {
      for (const mode of MODES) {
        const started = performance.now();
        await run(process.execPath, [...appArgs('cli', mode), ...args], { env, cwd: ROOT });
        if (i > 0) wall[mode].push((performance.now() - started) / 1000); // the first pair warms the page cache
      }
    }
    emit({
      figure: `${label}_wall_s`,
      runs: RUNS,
      compiled_median_s: median(wall.compiled),
      tsx_median_s: median(wall.tsx),
      compiled_over_tsx: median(wall.compiled) / median(wall.tsx),
      compiled_s: wall.compiled,
      tsx_s: wall.tsx,
    });
  }

  // ── Idle RSS of every long-running process (started, then left idle for IDLE_MS) ──
  const apps = ['worker-sandbox', 'worker-judge', 'worker-arbiter-submit', 'worker-arbiter-collect', 'board', 'api'];
  for (const app of apps) {
    const rss: Record<Mode, number> = { compiled: 0, tsx: 0 };
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
      compiled_mib: Math.round(rss.compiled),
      tsx_mib: Math.round(rss.tsx),
      compiled_over_tsx: rss.compiled / rss.tsx,
    });
  }
} finally {
  await redis.stop();
}
