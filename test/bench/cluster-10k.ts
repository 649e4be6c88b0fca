/**
 * Scale benchmark: the same facts-only pipeline (separate worker processes, real BullMQ) on one
 * redis-server and on a three-master Redis Cluster, in the same run, each started fresh by the
 * bench on free loopback ports, twice each in the order A B B A; the baseline is the single Redis
 * measured here. Prints one JSON
 * line per figure: throughput of each and their ratio, and Redis memory per sample (all masters
 * summed in the cluster). The machine is shared: compare the ratio, not the absolute figures.
 *
 *   npm run build && node --conditions=@gavel/source --import tsx test/bench/cluster-10k.ts [--samples 10000] [--concurrency 50]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { runKey } from '@gavel/core';
import { Cluster, Redis } from 'ioredis';
import { COMPILED_GAVEL_CLI, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { startRedis } from '../support/redis.ts';
import { startRedisCluster } from '../support/redis-cluster.ts';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '50' } },
});
const N = Number(values.samples);
const CONCURRENCY = Number(values.concurrency);
const run = promisify(execFile);
const [CLI] = COMPILED_GAVEL_CLI as [string];

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

async function usedMemory(ports: readonly number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    const redis = new Redis({ host: '127.0.0.1', port });
    total += Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
    redis.disconnect();
  }
  return total;
}

/** Enqueues N samples with the workers up; seconds until every sample has a verdict or a failure. */
async function pipeline(
  env: NodeJS.ProcessEnv,
  file: string,
  runId: string,
  counts: () => Promise<number>,
): Promise<number> {
  const workers = startWorkers(env, [], COMPILED_GAVEL_CLI);
  try {
    await sleep(3000);
    const started = performance.now();
    await run(process.execPath, [CLI, 'enqueue', file, '--run', runId], {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    while ((await counts()) < N) await sleep(100);
    return (performance.now() - started) / 1000;
  } finally {
    await workers.stop();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'gavel-bench-cluster-'));
const file = join(dir, 'bench.jsonl');
await writeFile(file, jsonl(Array.from({ length: N }, (_, i) => textSample(i))));
const base = { GAVEL_LOG_LEVEL: 'warn', GAVEL_CONCURRENCY: String(CONCURRENCY) };

interface Outcome {
  seconds: number;
  bytes_per_sample: number;
  verdicts: number;
}

async function onOneRedis(round: number): Promise<Outcome> {
  const single = await startRedis();
  try {
    const client = new Redis(single.url);
    const runId = `bench-single-${round}`;
    const before = await usedMemory([single.port]);
    const key = (part: string): string => runKey('gavel', runId, part);
    const seconds = await pipeline({ ...base, GAVEL_REDIS_URL: single.url }, file, runId, async () => {
      return (await client.hlen(key('verdicts'))) + (await client.hlen(key('failures')));
    });
    const after = await usedMemory([single.port]);
    const outcome = { seconds, bytes_per_sample: (after - before) / N, verdicts: await client.hlen(key('verdicts')) };
    client.disconnect();
    return outcome;
  } finally {
    await single.stop();
  }
}

async function onCluster(round: number): Promise<Outcome> {
  const cluster = await startRedisCluster({ masters: 3 });
  try {
    const masters = await cluster.masters();
    const client = new Cluster([{ host: '127.0.0.1', port: masters[0] as number }]);
    const runId = `bench-cluster-${round}`;
    const before = await usedMemory(masters);
    const key = (part: string): string => runKey('gavel', runId, part);
    const seconds = await pipeline(
      { ...base, GAVEL_REDIS_CLUSTER: cluster.seeds },
      file,
      runId,
      async () => (await client.hlen(key('verdicts'))) + (await client.hlen(key('failures'))),
    );
    const after = await usedMemory(masters);
    // Where the memory went: the run's own keys sit on one master, the queues on their tags' masters.
    const perMaster: Record<string, number> = {};
    for (const port of masters) perMaster[`127.0.0.1:${port}`] = await usedMemory([port]);
    emit({ figure: 'cluster_used_memory_per_master_bytes', round, masters: perMaster });
    const outcome = { seconds, bytes_per_sample: (after - before) / N, verdicts: await client.hlen(key('verdicts')) };
    client.disconnect();
    return outcome;
  } finally {
    await cluster.stop();
  }
}

// A B B A: drift in the machine's load (it is shared) weighs on both sides alike.
const ones: Outcome[] = [];
const threes: Outcome[] = [];
try {
  ones.push(await onOneRedis(1));
  threes.push(await onCluster(1));
  threes.push(await onCluster(2));
  ones.push(await onOneRedis(2));
} finally {
  await rm(dir, { recursive: true, force: true });
}
const total = (xs: Outcome[]): Outcome => ({
  seconds: xs.reduce((a, x) => a + x.seconds, 0),
  bytes_per_sample: xs.reduce((a, x) => a + x.bytes_per_sample, 0) / xs.length,
  verdicts: xs.reduce((a, x) => a + x.verdicts, 0),
});
const figures = { single: total(ones), cluster: total(threes) };
emit({ figure: 'rounds_seconds', one_redis: ones.map((o) => o.seconds), cluster: threes.map((o) => o.seconds) });
const { single: one, cluster: three } = figures;
emit({
  figure: 'pipeline_facts_only_one_redis',
  samples: N * ones.length,
  verdicts: one.verdicts,
  seconds: one.seconds,
  samples_per_s: (N * ones.length) / one.seconds,
  concurrency: CONCURRENCY,
});
emit({
  figure: 'pipeline_facts_only_three_master_cluster',
  samples: N * threes.length,
  verdicts: three.verdicts,
  seconds: three.seconds,
  samples_per_s: (N * threes.length) / three.seconds,
  ratio_of_one_redis_throughput: one.seconds / three.seconds,
  concurrency: CONCURRENCY,
});
emit({
  figure: 'redis_memory_per_sample_bytes',
  one_redis: one.bytes_per_sample,
  cluster_all_masters: three.bytes_per_sample,
});
