/**
 * Scale benchmark: a 100k-sample text run (facts-only judge) on one redis-server, workers as
 * separate processes. At 10%, 50% and 100% of the verdicts it prints Redis memory, split into the
 * queues' keys (bounded: completed jobs are trimmed) and the run store's (one record per sample,
 * kept until the run is removed), and every worker's RSS (flat: nothing per sample stays in a
 * worker). The baseline is the 10% point of the same run. The whole dataset is enqueued at once, so the
 * queue keys at 10% still hold most samples' waiting sandbox jobs; trimming keeps only the last
 * completed jobs of each queue.
 *
 *   npm run build && node --conditions=@gavel/source --import tsx test/bench/text-100k.ts [--samples 100000] [--concurrency 50]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { runKey, runKeyPrefix } from '@gavel/core';
import { Redis } from 'ioredis';
import { COMPILED_GAVEL_CLI, jsonl, startWorkers, textSample, workerPids } from '../support/gavel.ts';
import { startRedis } from '../support/redis.ts';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '100000' }, concurrency: { type: 'string', default: '50' } },
});
const N = Number(values.samples);
const CONCURRENCY = Number(values.concurrency);
const run = promisify(execFile);
const [CLI] = COMPILED_GAVEL_CLI as [string];
const RUN = 'bench-100k';

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

async function rssMiB(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return null;
  }
}

/** Bytes of the keys matching `pattern` (MEMORY USAGE of each, SCAN-paged) and how many there are. */
async function keyBytes(client: Redis, pattern: string): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  let cursor = '0';
  do {
    const [next, page] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of page) {
      keys += 1;
      bytes += Number((await client.memory('USAGE', key)) ?? 0);
    }
  } while (cursor !== '0');
  return { keys, bytes };
}

const redis = await startRedis();
const client = new Redis(redis.url);
const dir = await mkdtemp(join(tmpdir(), 'gavel-bench-100k-'));
const env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_CONCURRENCY: String(CONCURRENCY) };
try {
  const file = join(dir, 'bench.jsonl');
  await writeFile(file, jsonl(Array.from({ length: N }, (_, i) => textSample(i))));
  const workers = startWorkers(env, [], COMPILED_GAVEL_CLI);
  try {
    await sleep(3000);
    const started = performance.now();
    await run(process.execPath, [CLI, 'enqueue', file, '--run', RUN], {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    const enqueuedS = (performance.now() - started) / 1000;
    emit({ figure: 'text_100k_enqueue_seconds', samples: N, seconds: enqueuedS });
    const points = [0.1, 0.5, 1];
    let baseline: { redis: number; rss: Record<string, number | null> } | undefined;
    for (const share of points) {
      const target = Math.round(N * share);
      let ended = 0;
      for (;;) {
        ended =
          (await client.hlen(runKey('gavel', RUN, 'verdicts'))) + (await client.hlen(runKey('gavel', RUN, 'failures')));
        if (ended >= target) break;
        await sleep(500);
      }
      const elapsed = (performance.now() - started) / 1000;
      const info = await client.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
      const rss: Record<string, number | null> = {};
      for (const [stage, pid] of workerPids(workers.output())) rss[stage] = await rssMiB(pid);
      const queues = await keyBytes(client, 'gavel:{[sja]*}:*');
      const store = await keyBytes(client, `${runKeyPrefix('gavel', RUN)}*`);
      baseline ??= { redis: used, rss };
      emit({
        figure: 'text_100k_checkpoint',
        share,
        samples_ended: ended,
        seconds: elapsed,
        samples_per_s: ended / elapsed,
        redis_used_memory_bytes: used,
        redis_queue_keys: queues.keys,
        redis_queue_bytes: queues.bytes,
        redis_run_store_bytes: store.bytes,
        // Every sample is stored at enqueue; facts, judgement and verdict add to it as it ends.
        run_store_bytes_per_stored_sample: store.bytes / N,
        worker_rss_mib: rss,
        worker_rss_vs_10pct: Object.fromEntries(
          Object.entries(rss).map(([stage, mib]) => {
            const first = baseline?.rss[stage];
            return [stage, mib !== null && first ? Number((mib / first).toFixed(3)) : null];
          }),
        ),
      });
    }
  } finally {
    await workers.stop();
  }
  const verdicts = await client.hlen(runKey('gavel', RUN, 'verdicts'));
  const failures = await client.hlen(runKey('gavel', RUN, 'failures'));
  emit({ figure: 'text_100k_outcome', samples: N, verdicts, failures });
} finally {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
