/**
 * Foundation benchmark: 10k text samples through the real pipeline (separate worker processes,
 * facts-only judge), untraced, traced and traced at a 1-in-10 sampler, beside raw BullMQ pushing the same 10k jobs through the
 * same number of no-op queues (one per stage a text sample passes: sandbox, judge; a process per
 * queue), measured before and after the pipeline on the same fresh redis-server in the same run.
 * Prints one JSON line per figure, with Redis's own command counts per sample for each phase.
 *
 *   node --conditions=@gavel/source --import tsx test/bench/pipeline-10k.ts [--samples 10000] [--concurrency 50]
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { runKey } from '@gavel/core';
import { jobOptionsFor } from '@gavel/queue';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { printed } from '../support/child-output.ts';
import { COMPILED_GAVEL_CLI, jsonl, startWorkers, textSample, workerPids } from '../support/gavel.ts';
import { startOtlpReceiver } from '../support/otlp-receiver.ts';
import { startRedis } from '../support/redis.ts';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '50' } },
});
const N = Number(values.samples);
const CONCURRENCY = Number(values.concurrency);
const run = promisify(execFile);
const CLOCK_TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU in 1/100 s on Linux
const RAW_WORKER = join(dirname(fileURLToPath(import.meta.url)), '..', 'support', 'raw-bullmq-worker.ts');
const RAW_PRODUCER = join(dirname(fileURLToPath(import.meta.url)), '..', 'support', 'raw-bullmq-producer.mjs');

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

async function memory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Raw BullMQ, one process: addBulk 10k no-op jobs to q1; each of four workers moves a job to the next queue. */
async function rawBullmqOneProcess(url: string): Promise<number> {
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

/**
 * CPU seconds (user + system) from /proc/<pid>/stat (Linux): the process's own, or (`reaped`)
 * only that of its children already waited for; 0 once the process is gone.
 */
function processCpuSeconds(pid: number, part: 'own' | 'reaped' | 'both' = 'own'): number {
  try {
    // The fields after the command name, 0-based: utime 11, stime 12, cutime 13, cstime 14.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [from, to] = part === 'own' ? [11, 13] : part === 'reaped' ? [13, 15] : [11, 15];
    const ticks = fields.slice(from, to).reduce((sum, f) => sum + Number(f), 0);
    return ticks / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Redis's own CPU seconds so far (INFO cpu). */
async function redisCpuSeconds(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return user + sys;
}

/**
 * The CPU a phase used: its processes', this process's children reaped meanwhile (the enqueue CLI)
 * or (`both`) also this process's own (the raw producer), plus Redis's. On a loaded machine wall time moves with the others' load; CPU per sample much
 * less, so both are printed.
 */
async function cpuMeter(
  client: Redis,
  pids: () => ReadonlyMap<string, number>,
  self: 'both' | 'reaped',
): Promise<() => Promise<{ seconds: number; msPerSample: Record<string, number> }>> {
  const selfCpu = (): number => processCpuSeconds(process.pid, self);
  const start = new Map([...pids()].map(([name, pid]) => [name, processCpuSeconds(pid)]));
  const selfStart = selfCpu();
  const redisStart = await redisCpuSeconds(client);
  return async () => {
    const parts: Record<string, number> = {};
    for (const [name, pid] of pids()) parts[name] = processCpuSeconds(pid) - (start.get(name) ?? 0);
    parts[self === 'both' ? 'producer' : 'enqueue_cli'] = selfCpu() - selfStart;
    parts.redis = (await redisCpuSeconds(client)) - redisStart;
    const seconds = Object.values(parts).reduce((a, b) => a + b, 0);
    const msPerSample = Object.fromEntries(
      Object.entries(parts).map(([name, cpu]) => [name, Math.round((cpu * 1e6) / N) / 1000]),
    );
    return { seconds, msPerSample };
  };
}

/**
 * Waits until processes are idle: their CPU grows by under 20 ms in half a second (start-up, module
 * loading, is over), so a phase's CPU is its own. A fixed sleep is not enough on a loaded machine.
 */
async function settled(pids: () => readonly number[]): Promise<void> {
  const total = (): number => pids().reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const deadline = Date.now() + 60_000;
  let last = total();
  while (Date.now() < deadline) {
    await sleep(500);
    const now = total();
    if (pids().length > 0 && now - last < 0.02) return;
    last = now;
  }
}

/**
 * Raw BullMQ with the pipeline's topology: one no-op queue per stage a facts-only text sample
 * passes through (sandbox, judge), each worker in its own process as `gavel workers` runs them, the
 * jobs with gavel's job options and ids; 10k jobs added in chunks of 1000 (addBulk), as `gavel
 * enqueue` does. Timed from the first add to the last queue's last job.
 */
async function rawBullmq(
  url: string,
  client: Redis,
  queueCount: number,
  tag: string,
  producerProcess = false,
): Promise<{ seconds: number; cpuSeconds: number; cpuParts: Record<string, number> }> {
  const prefix = `raw-${tag}`;
  const names = Array.from({ length: queueCount }, (_, i) => `q${i + 1}`);
  const children = names.map((name, i) =>
    spawn(process.execPath, ['--conditions=@gavel/source', '--import', 'tsx', RAW_WORKER], {
      env: {
        ...process.env,
        RAW_REDIS_URL: url,
        RAW_PREFIX: prefix,
        RAW_QUEUE: name,
        ...(names[i + 1] ? { RAW_NEXT: names[i + 1] } : {}),
        RAW_CONCURRENCY: String(CONCURRENCY),
        RAW_EXPECT: String(N),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  try {
    await Promise.all(children.map((child) => printed(child, 'ready')));
    await settled(() => children.map((child) => child.pid ?? 0));
    const done = printed(children[children.length - 1] as ChildProcess, 'done');
    const connection = new Redis(url, { maxRetriesPerRequest: null });
    const first = new Queue(names[0] as string, { connection, prefix, defaultJobOptions: jobOptionsFor('sandbox') });
    const cpu = await cpuMeter(
      client,
      () => new Map(children.map((child, i) => [names[i] as string, child.pid ?? 0])),
      'both',
    );
    const started = performance.now();
    if (producerProcess) {
      // The producer as its own process on plain Node, as a BullMQ user's producer script runs.
      const producer = spawn(process.execPath, [RAW_PRODUCER], {
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          RAW_REDIS_URL: url,
          RAW_PREFIX: prefix,
          RAW_QUEUE: names[0] as string,
          RAW_N: String(N),
          RAW_JOB_OPTIONS: JSON.stringify(jobOptionsFor('sandbox')),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const [code] = (await once(producer, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`raw producer exited ${code}`);
    } else {
      for (let i = 0; i < N; i += 1000) {
        const chunk = Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({
          name: 'sample',
          data: { runId: tag, sampleId: `s-${i + k}` },
          opts: { jobId: `${tag}~s-${i + k}` },
        }));
        await first.addBulk(chunk);
      }
    }
    await done;
    const seconds = (performance.now() - started) / 1000;
    const used = await cpu();
    await first.close();
    connection.disconnect();
    return { seconds, cpuSeconds: used.seconds, cpuParts: used.msPerSample };
  } finally {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }),
    );
  }
}

/** Redis's own per-command counts since the last reset, per sample, and its CPU time per sample. */
async function commandStats(client: Redis, samples: number): Promise<Record<string, unknown>> {
  const info = await client.info('commandstats');
  const perSample: Record<string, number> = {};
  let calls = 0;
  let usec = 0;
  for (const match of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    const [, name, c, u] = match;
    if (!name || name === 'info' || name === 'config') continue;
    perSample[name] = Math.round((Number(c) / samples) * 100) / 100;
    calls += Number(c);
    usec += Number(u);
  }
  await client.config('RESETSTAT');
  return { redis_calls_per_sample: calls / samples, redis_usec_per_sample: usec / samples, by_command: perSample };
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

  // Raw BullMQ first (the same topology, no gavel), then gavel end to end, untraced and traced,
  // then raw BullMQ again: the machine's load moves, so the baseline is the mean of both.
  const QUEUES = 2; // sandbox, judge: the stages a facts-only text sample passes through
  await client.config('RESETSTAT');
  const rawBefore = await rawBullmq(redis.url, client, QUEUES, 'raw-a');
  const rawStats = await commandStats(client, N);
  await client.flushall();

  // End to end: workers already up, then enqueue; done when every sample has a verdict.
  const workers = startWorkers(env, [], COMPILED_GAVEL_CLI);
  await sleep(1000);
  await settled(() => [...workerPids(workers.output()).values()]);
  await client.config('RESETSTAT');
  const e2eCpu = await cpuMeter(client, () => workerPids(workers.output()), 'reaped');
  const e2eBenchCpu = process.cpuUsage();
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
  const { seconds: e2eCpuSeconds, msPerSample: e2eCpuParts } = await e2eCpu();
  const e2eBench = process.cpuUsage(e2eBenchCpu);
  const e2eStats = await commandStats(client, N);
  await workers.stop();
  const memoryAfter = await memory(client);
  const verdicts = await client.hlen(runKey('gavel', 'bench-e2e', 'verdicts'));

  // The same run with tracing on in every process (the SDK's default batch processor settings),
  // exporting to a receiver in this process: throughput against the untraced run, and how many of
  // the samples' traces arrived whole (producer root + both stages' process spans). This process's
  // own CPU meanwhile (the receiver parsing every span, and the polling) is printed beside it: it
  // shares the cores but is no part of the figure.
  const tracedPipeline = async (tag: string, extraEnv: Record<string, string> = {}) => {
    await client.flushall();
    const receiver = await startOtlpReceiver({ namesOnly: true });
    const tracedEnv = {
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      ...extraEnv,
    };
    const tracedWorkers = startWorkers(tracedEnv, [], COMPILED_GAVEL_CLI);
    await sleep(1000);
    await settled(() => [...workerPids(tracedWorkers.output()).values()]);
    const cpu = await cpuMeter(client, () => workerPids(tracedWorkers.output()), 'reaped');
    const benchCpu = process.cpuUsage();
    const started = performance.now();
    await run(process.execPath, [cli, 'enqueue', file, '--run', tag], { env: { ...process.env, ...tracedEnv } });
    while (
      (await client.hlen(runKey('gavel', tag, 'verdicts'))) + (await client.hlen(runKey('gavel', tag, 'failures'))) <
      N
    ) {
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    const { seconds: cpuSeconds, msPerSample: cpuParts } = await cpu();
    const { user, system } = process.cpuUsage(benchCpu);
    await tracedWorkers.stop();
    const byTrace = new Map<string, Set<string>>();
    for (const sp of receiver.spans) {
      const names = byTrace.get(sp.traceId) ?? new Set<string>();
      names.add(sp.name);
      byTrace.set(sp.traceId, names);
    }
    const whole = [...byTrace.values()].filter(
      (names) => names.has('gavel.enqueue') && names.has('process sandbox') && names.has('process judge'),
    ).length;
    const roots = receiver.spans.filter((sp) => sp.name === 'gavel.enqueue').length;
    await receiver.close();
    await client.flushall();
    return {
      seconds,
      cpuSeconds,
      cpuParts,
      spans: receiver.spans.length,
      roots,
      whole,
      benchProcessCpuMs: Math.round(((user + system) / 1e3 / N) * 1000) / 1000,
    };
  };
  const traced = await tracedPipeline('bench-traced');
  // Sampling, as a user may choose it (OTEL_TRACES_SAMPLER): one sample in ten traced, whole.
  const sampled = await tracedPipeline('bench-sampled', {
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
  });

  const rawAfter = await rawBullmq(redis.url, client, QUEUES, 'raw-b');
  await client.flushall();
  const rawProducerProcess = await rawBullmq(redis.url, client, QUEUES, 'raw-p', true);
  emit({
    figure: 'raw_bullmq_producer_process_seconds',
    jobs: N,
    queues: QUEUES,
    note: 'raw BullMQ with its producer as its own process on plain Node, timed from its spawn (as gavel from the enqueue CLI start)',
    seconds: rawProducerProcess.seconds,
    jobs_per_s: N / rawProducerProcess.seconds,
  });
  const rawSeconds = (rawBefore.seconds + rawAfter.seconds) / 2;
  const rawCpuSeconds = (rawBefore.cpuSeconds + rawAfter.cpuSeconds) / 2;
  emit({
    figure: 'raw_bullmq_noop_queues_seconds',
    jobs: N,
    queues: QUEUES,
    process_per_queue: true,
    seconds_before: rawBefore.seconds,
    seconds_after: rawAfter.seconds,
    seconds: rawSeconds,
    jobs_per_s: N / rawSeconds,
    cpu_ms_per_job: (rawCpuSeconds * 1000) / N,
    cpu_ms_per_job_by_process: rawAfter.cpuParts,
    concurrency: CONCURRENCY,
    ...rawStats,
  });
  emit({
    figure: 'pipeline_facts_only_end_to_end_seconds',
    samples: N,
    verdicts,
    seconds: e2eSeconds,
    samples_per_s: N / e2eSeconds,
    ratio_of_raw_bullmq_throughput: rawSeconds / e2eSeconds,
    target_ratio: 0.8,
    cpu_ms_per_sample: (e2eCpuSeconds * 1000) / N,
    ratio_of_raw_bullmq_cpu_per_sample: rawCpuSeconds / e2eCpuSeconds,
    // The same baseline with its producer as its own process (plain Node), timed from its spawn as
    // gavel's is from the enqueue CLI's: both pay a process start.
    ratio_of_raw_bullmq_with_producer_process: rawProducerProcess.seconds / e2eSeconds,
    cpu_ms_per_sample_by_process: e2eCpuParts,
    bench_process_cpu_ms_per_sample: Math.round(((e2eBench.user + e2eBench.system) / 1e3 / N) * 1000) / 1000,
    concurrency: CONCURRENCY,
    ...e2eStats,
  });
  // A traced run's figure, against the untraced one.
  const tracedFigure = (figure: string, result: typeof traced, extra: Record<string, unknown>) => ({
    figure,
    samples: N,
    ...extra,
    seconds: result.seconds,
    samples_per_s: N / result.seconds,
    ratio_of_untraced_throughput: e2eSeconds / result.seconds,
    cpu_ms_per_sample: (result.cpuSeconds * 1000) / N,
    ratio_of_untraced_cpu_per_sample: e2eCpuSeconds / result.cpuSeconds,
    cpu_ms_per_sample_by_process: result.cpuParts,
    bench_process_cpu_ms_per_sample: result.benchProcessCpuMs,
    spans_received: result.spans,
  });
  emit({
    ...tracedFigure('pipeline_facts_only_traced_end_to_end_seconds', traced, { target_ratio: 0.9 }),
    whole_sample_traces: traced.whole,
  });
  emit({
    ...tracedFigure('pipeline_facts_only_traced_sampled_end_to_end_seconds', sampled, {
      sampler: 'parentbased_traceidratio 0.1',
    }),
    sampled_traces: sampled.roots,
    whole_sample_traces: sampled.whole,
  });
  emit({
    figure: 'redis_used_memory_bytes',
    before: memoryBefore,
    after_run: memoryAfter,
    per_sample_bytes: (memoryAfter - memoryBefore) / N,
  });

  // The figure of earlier runs, for comparison: four no-op queues, every worker in this one process.
  const oneProcessSeconds = await rawBullmqOneProcess(redis.url);
  emit({
    figure: 'raw_bullmq_4_noop_queues_one_process_seconds',
    jobs: N,
    seconds: oneProcessSeconds,
    jobs_per_s: N / oneProcessSeconds,
    pipeline_ratio_to_it: oneProcessSeconds / e2eSeconds,
  });
} finally {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
