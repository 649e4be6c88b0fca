/**
 * Where each facts-only sample's CPU goes, stage by stage, beside raw BullMQ in the same run: V8's
 * sampling profiler in each stage worker process (test/support/cpu-profile-preload.mjs, started
 * once the workers are idle and stopped when the last verdict is in), and in each no-op worker of
 * the raw baseline (the topology of pipeline-10k: one queue per stage, a process per queue, the
 * producer its own process). Prints, per process, its busy CPU per sample split by part (npm
 * package, gavel package, Node, GC) and its heaviest gavel functions; then, per stage, what it
 * spends beyond its raw counterpart, by part. The profiler slows what it watches: compare parts and
 * differences, not the absolute figures with pipeline-10k's.
 *
 * With `--traced` the gavel run is traced (every sample, OTLP/HTTP JSON to a receiver in this
 * process), so what tracing costs each stage shows in its parts; raw BullMQ is never traced.
 *
 *   node --conditions=@gavel/source --import tsx test/bench/pipeline-profile.ts [--samples 10000] [--concurrency 50] [--traced]
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { runKey } from '@gavel/core';
import { jobOptionsFor } from '@gavel/queue';
import { Redis } from 'ioredis';
import { printed } from '../support/child-output.ts';
import { COMPILED_GAVEL_CLI, jsonl, ROOT, startWorkers, textSample, workerPids } from '../support/gavel.ts';
import { startOtlpReceiver } from '../support/otlp-receiver.ts';
import { startRedis } from '../support/redis.ts';
import { type CpuProfile, type ProfileParts, perSample, profileParts } from './cpu-profile-parts.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '50' },
    traced: { type: 'boolean', default: false },
  },
});
const N = Number(values.samples);
const CONCURRENCY = String(Number(values.concurrency));
const PRELOAD = join(ROOT, 'test', 'support', 'cpu-profile-preload.mjs');
const RAW_WORKER = join(ROOT, 'test', 'support', 'raw-bullmq-worker.ts');
const RAW_PRODUCER = join(ROOT, 'test', 'support', 'raw-bullmq-producer.mjs');
const run = promisify(execFile);

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

/** Toggles the profiler of every pid (SIGUSR2); on the second toggle waits for each profile to be written. */
async function toggleProfilers(
  pids: readonly number[],
  dir: string,
  collect: boolean,
): Promise<Map<number, CpuProfile>> {
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const profiles = new Map<number, CpuProfile>();
  if (!collect) return profiles;
  for (const pid of pids) {
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(dir, `${pid}.done`))) {
      if (Date.now() > deadline) throw new Error(`process ${pid} wrote no profile within 60 s`);
      await sleep(50);
    }
    const error = readFileSync(join(dir, `${pid}.done`), 'utf8');
    if (error) throw new Error(`process ${pid} could not profile: ${error}`);
    profiles.set(pid, JSON.parse(readFileSync(join(dir, `${pid}.cpuprofile`), 'utf8')) as CpuProfile);
  }
  return profiles;
}

function report(name: string, parts: ProfileParts): void {
  emit({
    figure: 'cpu_profile',
    process: name,
    samples: N,
    busy_us_per_sample: Math.round((parts.busyMs / N) * 1000),
    us_per_sample_by_part: perSample(parts.parts, N, 12),
    heaviest_gavel_functions_us_per_sample: perSample(parts.gavelFunctions, N, 12),
    heaviest_node_functions_us_per_sample: perSample(parts.nodeFunctions, N, 8),
  });
}

function beyondRaw(stage: string, gavel: ProfileParts, raw: ProfileParts, rawName: string): void {
  const extra = new Map<string, number>();
  for (const key of new Set([...gavel.parts.keys(), ...raw.parts.keys()])) {
    extra.set(key, (gavel.parts.get(key) ?? 0) - (raw.parts.get(key) ?? 0));
  }
  emit({
    figure: 'cpu_profile_beyond_raw',
    stage,
    raw: rawName,
    gavel_busy_us_per_sample: Math.round((gavel.busyMs / N) * 1000),
    raw_busy_us_per_sample: Math.round((raw.busyMs / N) * 1000),
    extra_us_per_sample_by_part: perSample(extra, N, 12),
  });
}

const redis = await startRedis();
const client = new Redis(redis.url);
const dir = await mkdtemp(join(tmpdir(), 'gavel-profile-'));
try {
  const rawDir = join(dir, 'raw');
  const gavelDir = join(dir, 'gavel');
  await mkdir(rawDir);
  await mkdir(gavelDir);
  const profiled = (profileDir: string) => ({
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${PRELOAD}`.trim(),
    GAVEL_BENCH_PROFILE_DIR: profileDir,
  });

  // Raw BullMQ: two no-op queues, a process each, the producer on plain Node and not profiled.
  const names = ['q1', 'q2'];
  const children = names.map((name, i) =>
    spawn(process.execPath, ['--conditions=@gavel/source', '--import', 'tsx', RAW_WORKER], {
      env: {
        ...process.env,
        ...profiled(rawDir),
        RAW_REDIS_URL: redis.url,
        RAW_PREFIX: 'raw',
        RAW_QUEUE: name,
        ...(names[i + 1] ? { RAW_NEXT: names[i + 1] } : {}),
        RAW_CONCURRENCY: CONCURRENCY,
        RAW_EXPECT: String(N),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const rawProfiles = await (async () => {
    try {
      await Promise.all(children.map((child) => printed(child, 'ready')));
      const pids = children.map((child) => child.pid ?? 0);
      await sleep(1000);
      const done = printed(children[1] as ChildProcess, 'done');
      await toggleProfilers(pids, rawDir, false);
      const producer = spawn(process.execPath, [RAW_PRODUCER], {
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          RAW_REDIS_URL: redis.url,
          RAW_PREFIX: 'raw',
          RAW_QUEUE: 'q1',
          RAW_N: String(N),
          RAW_JOB_OPTIONS: JSON.stringify(jobOptionsFor('sandbox')),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const [code] = (await once(producer, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`raw producer exited ${code}`);
      await done;
      const profiles = await toggleProfilers(pids, rawDir, true);
      return pids.map((pid) => profileParts(profiles.get(pid) as CpuProfile));
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    }
  })();
  await client.flushall();

  // gavel: every stage worker as `gavel workers` starts them (compiled), the enqueue CLI not profiled.
  const file = join(dir, 'samples.jsonl');
  await writeFile(file, jsonl(Array.from({ length: N }, (_, i) => textSample(i))));
  const receiver = values.traced ? await startOtlpReceiver({ namesOnly: true }) : undefined;
  const env = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_CONCURRENCY: CONCURRENCY,
    ...(receiver
      ? {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_MAX_QUEUE_SIZE: String(2 * N),
        }
      : {}),
  };
  const workers = startWorkers({ ...env, ...profiled(gavelDir) }, [], COMPILED_GAVEL_CLI);
  try {
    const stages = ['sandbox', 'judge'];
    while (!stages.every((stage) => workerPids(workers.output()).has(stage))) await sleep(100);
    await sleep(2000);
    const pids = stages.map((stage) => workerPids(workers.output()).get(stage) as number);
    await toggleProfilers(pids, gavelDir, false);
    const [cli] = COMPILED_GAVEL_CLI as [string];
    await run(process.execPath, [cli, 'enqueue', file, '--run', 'profile'], {
      env: { ...process.env, ...env, NODE_OPTIONS: '' },
    });
    const decided = async () =>
      (await client.hlen(runKey('gavel', 'profile', 'verdicts'))) +
      (await client.hlen(runKey('gavel', 'profile', 'failures')));
    while ((await decided()) < N) await sleep(50);
    const profiles = await toggleProfilers(pids, gavelDir, true);
    const [sandbox, judge] = pids.map((pid) => profileParts(profiles.get(pid) as CpuProfile)) as [
      ProfileParts,
      ProfileParts,
    ];
    const [q1, q2] = rawProfiles as [ProfileParts, ProfileParts];
    report('raw q1 (in place of sandbox)', q1);
    report('raw q2 (in place of judge)', q2);
    report('worker-sandbox', sandbox);
    report('worker-judge', judge);
    beyondRaw('sandbox', sandbox, q1, 'q1');
    beyondRaw('judge', judge, q2, 'q2');
  } finally {
    await workers.stop();
    await receiver?.close();
  }
} finally {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
