/**
 * Foundation benchmark: 10k text samples through the real pipeline (separate worker processes,
 * facts-only judge) beside raw BullMQ pushing the same 10k jobs through four no-op queues, both
 * on the same fresh redis-server in the same run. Prints one JSON line per figure.
 *
 *   node --conditions=@gavel/source --import tsx test/bench/pipeline-10k.ts [--samples 10000] [--concurrency 50]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { runKey } from '@gavel/core';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { COMPILED_GAVEL_CLI, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { startOtlpReceiver } from '../support/otlp-receiver.ts';
import { startRedis } from '../support/redis.ts';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '50' } },
});
const N = Number(values.samples);
const CONCURRENCY = Number(values.concurrency);
const run = promisify(execFile);

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

async function memory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Raw BullMQ: addBulk 10k no-op jobs to q1; each of four workers moves a job to the next queue. */
async function rawBullmq(url: string): Promise<number> {
  const prefix = '{raw}';
  const names = ['q1', 'q2', 'q3', 'q4'];
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queues = names.map((name) => new Queue(name, { connection, prefix }));
  let done = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const workerConnections = names.map(() => new Redis(url, { maxRetriesPerRequest: null }));
  const workers = names.map(
    (name, i) =>
      new Worker(
        name,
        async (job: Job) => {
          const next = queues[i + 1];
          if (next) await next.add('j', job.data, { jobId: job.id, removeOnComplete: 1000 });
          else if (++done === N) finish();
        },
        { connection: workerConnections[i] as Redis, prefix, concurrency: CONCURRENCY },
      ),
  );
  const started = performance.now();
  for (let i = 0; i < N; i += 1000) {
    const chunk = Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({
      name: 'j',
      data: { runId: 'raw', sampleId: `s-${i + k}` },
      opts: { jobId: `raw~s-${i + k}`, removeOnComplete: 1000 },
    }));
    await queues[0]?.addBulk(chunk);
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(queues.map((q) => q.close()));
  connection.disconnect();
  for (const c of workerConnections) c.disconnect();
  return seconds;
}

const redis = await startRedis();
const client = new Redis(redis.url);
const dir = await mkdtemp(join(tmpdir(), 'gavel-bench-'));
const env = { GAVEL_REDIS_URL: redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_CONCURRENCY: String(CONCURRENCY) };
try {
  const file = join(dir, 'bench.jsonl');
  await writeFile(file, jsonl(Array.from({ length: N }, (_, i) => textSample(i))));
  const memoryBefore = await memory(client);

  // Enqueue alone (no workers running): the CLI end to end, and the time it reports for validation + Redis.
  // The compiled CLI and workers (npm run build), as users run them.
  const [cli] = COMPILED_GAVEL_CLI as [string];
  const enqueueStarted = performance.now();
  await run(process.execPath, [cli, 'enqueue', file, '--run', 'bench-enqueue'], { env: { ...process.env, ...env } });
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
  const nodeStarted = performance.now();
  await run(process.execPath, [cli, '--help'], { env: { ...process.env, ...env } });
  const startupSeconds = (performance.now() - nodeStarted) / 1000;
  emit({
    figure: 'enqueue_10k_seconds',
    samples: N,
    cli_wall_s: enqueueSeconds,
    cli_startup_s: startupSeconds,
    without_startup_s: enqueueSeconds - startupSeconds,
    target_s: 2,
  });
  await client.flushall();

  // The same enqueue with tracing on: one root span per sample, exported as OTLP/HTTP JSON to a
  // receiver in this process (the CLI waits for the export to finish before it exits).
  const receiver = await startOtlpReceiver();
  const tracedStarted = performance.now();
  await run(process.execPath, [cli, 'enqueue', file, '--run', 'bench-enqueue-traced'], {
    env: {
      ...process.env,
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_MAX_QUEUE_SIZE: String(2 * N),
    },
  });
  const tracedSeconds = (performance.now() - tracedStarted) / 1000;
  const roots = receiver.spans.filter((sp) => sp.name === 'gavel.enqueue').length;
  await receiver.close();
  emit({
    figure: 'enqueue_10k_traced_seconds',
    samples: N,
    cli_wall_s: tracedSeconds,
    root_spans_received: roots,
    overhead_vs_untraced_s: tracedSeconds - enqueueSeconds,
  });
  await client.flushall();

  // End to end: workers already up, then enqueue; done when every sample has a verdict.
  const workers = startWorkers(env, [], COMPILED_GAVEL_CLI);
  await sleep(3000);
  const e2eStarted = performance.now();
  await run(process.execPath, [cli, 'enqueue', file, '--run', 'bench-e2e'], { env: { ...process.env, ...env } });
  while (
    (await client.hlen(runKey('gavel', 'bench-e2e', 'verdicts'))) +
      (await client.hlen(runKey('gavel', 'bench-e2e', 'failures'))) <
    N
  ) {
    await sleep(50);
  }
  const e2eSeconds = (performance.now() - e2eStarted) / 1000;
  await workers.stop();
  const memoryAfter = await memory(client);
  const verdicts = await client.hlen(runKey('gavel', 'bench-e2e', 'verdicts'));

  const rawSeconds = await rawBullmq(redis.url);
  emit({
    figure: 'raw_bullmq_4_noop_queues_seconds',
    jobs: N,
    seconds: rawSeconds,
    jobs_per_s: N / rawSeconds,
    concurrency: CONCURRENCY,
  });
  emit({
    figure: 'pipeline_facts_only_end_to_end_seconds',
    samples: N,
    verdicts,
    seconds: e2eSeconds,
    samples_per_s: N / e2eSeconds,
    ratio_of_raw_bullmq_throughput: rawSeconds / e2eSeconds,
    target_ratio: 0.5,
    concurrency: CONCURRENCY,
  });
  emit({
    figure: 'redis_used_memory_bytes',
    before: memoryBefore,
    after_run: memoryAfter,
    per_sample_bytes: (memoryAfter - memoryBefore) / N,
  });

  // The same run with tracing on in every process (the SDK's default batch processor settings),
  // exporting to a receiver in this process: throughput against the untraced run, and how many of
  // the samples' traces arrived whole (producer root + both stages' process spans).
  await client.flushall();
  const traceReceiver = await startOtlpReceiver();
  const tracedEnv = {
    ...env,
    OTEL_EXPORTER_OTLP_ENDPOINT: traceReceiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  };
  const tracedWorkers = startWorkers(tracedEnv, [], COMPILED_GAVEL_CLI);
  await sleep(3000);
  const tracedE2eStarted = performance.now();
  await run(process.execPath, [cli, 'enqueue', file, '--run', 'bench-traced'], {
    env: { ...process.env, ...tracedEnv },
  });
  while (
    (await client.hlen(runKey('gavel', 'bench-traced', 'verdicts'))) +
      (await client.hlen(runKey('gavel', 'bench-traced', 'failures'))) <
    N
  ) {
    await sleep(50);
  }
  const tracedE2eSeconds = (performance.now() - tracedE2eStarted) / 1000;
  await tracedWorkers.stop();
  const byTrace = new Map<string, Set<string>>();
  for (const sp of traceReceiver.spans) {
    const names = byTrace.get(sp.traceId) ?? new Set<string>();
    names.add(sp.name);
    byTrace.set(sp.traceId, names);
  }
  const whole = [...byTrace.values()].filter(
    (names) => names.has('gavel.enqueue') && names.has('process sandbox') && names.has('process judge'),
  ).length;
  await traceReceiver.close();
  emit({
    figure: 'pipeline_facts_only_traced_end_to_end_seconds',
    samples: N,
    seconds: tracedE2eSeconds,
    samples_per_s: N / tracedE2eSeconds,
    ratio_of_untraced_throughput: e2eSeconds / tracedE2eSeconds,
    spans_received: traceReceiver.spans.length,
    whole_sample_traces: whole,
  });
} finally {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
