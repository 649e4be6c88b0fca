/**
 * Judge throughput: N samples graded by the LLM judge against the fake vLLM server (its own
 * process, 200 ms per completion) with 64 requests in flight, beside the Little's-law bound of
 * the same run (requests × latency / in-flight). For k = 0 and k = 4 extra samples. Prints one
 * JSON line per figure, with the judging process's peak memory (RSS, sampled every 50 ms) beside
 * its baseline before the run.
 *
 *   node --conditions=@gavel/source --import tsx test/bench/judge-throughput.ts [--samples 10000] [--latency-ms 200] [--inflight 64] [--k 0,4]
 *     [--via direct|worker] [--max-old-space-mib 192]
 *
 * `--via worker` drives the same grader through the real judge stage on Redis instead: a real
 * redis-server, the run store, a BullMQ judge queue and `startStageWorker` + `createJudgeStage`
 * with concurrency = in-flight (each job one sample), the way apps/worker-judge runs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once, setMaxListeners } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type Facts, type Sample, silentLogger } from '@gavel/core';
import { createJudgeStage, createLlmGrader, type Grader } from '@gavel/judge';
import { addStageJobs, createRedis, RunStore, stageQueue, startStageWorker } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import { manifest, settings, textCase, textRubric } from '../integration/judge-fixtures.ts';
import { ROOT, SOURCE_NODE_ARGS } from '../support/gavel.ts';
import { startRedis } from '../support/redis.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '10000' },
    'latency-ms': { type: 'string', default: '200' },
    inflight: { type: 'string', default: '64' },
    k: { type: 'string', default: '0,4' },
    via: { type: 'string', default: 'direct' },
    /** Run each k's judging process with `--max-old-space-size` (as a worker deployed with it would). */
    'max-old-space-mib': { type: 'string' },
  },
});
const N = Number(values.samples);
const LATENCY_MS = Number(values['latency-ms']);
const INFLIGHT = Number(values.inflight);
const KS = values.k.split(',').map(Number);
const VIA = values.via === 'worker' ? 'worker' : 'direct';

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

interface FakeProcess {
  url: string;
  child: ChildProcess;
  /** Stops it and returns its final counters. */
  stop(): Promise<{
    counts: { completions: number; tokenize: number };
    peakInflight: number;
    systemPrefixes: [string, number][];
  }>;
}

async function startFakeProcess(latencyMs: number): Promise<FakeProcess> {
  const child = spawn(
    process.execPath,
    [...SOURCE_NODE_ARGS, 'test/fakes/vllm-server.ts', '0', String(latencyMs), '16384'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const orphan = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', orphan);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  const { url } = JSON.parse(String(first.value)) as { url: string };
  return {
    url,
    child,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const report = await iterator.next();
      await exited;
      process.off('exit', orphan);
      return JSON.parse(String(report.value));
    },
  };
}

function memorySampler(): { stop(): { rss: number; heap: number } } {
  const peak = { rss: 0, heap: 0 };
  const sample = (): void => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

function cases(): Array<{ sample: Sample; facts: Facts }> {
  return Array.from({ length: N }, (_, i) => textCase(i, i % 3 !== 0));
}

/**
 * Samples graded at once (the worker's job concurrency): enough that a sample is always waiting
 * for an in-flight slot while another is being counted or parsed, so the slots stay full.
 */
function samplesAtOnce(k: number): number {
  return Math.ceil((2 * INFLIGHT) / (k + 1)) + 8;
}

/** Grades every sample directly, {@link samplesAtOnce} at a time (as the judge worker's jobs would). */
async function direct(grader: Grader, k: number): Promise<{ graded: number; routed: number; wallS?: number }> {
  const rubric = await textRubric();
  const run = manifest(rubric, { k });
  const all = cases();
  let next = 0;
  let routed = 0;
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);
  async function lane(): Promise<void> {
    for (let i = next++; i < all.length; i = next++) {
      const verdict = await grader.grade(
        { ...(all[i] as { sample: Sample; facts: Facts }), rubric, manifest: run },
        signal,
      );
      if (verdict.route === 'arbiter') routed += 1;
    }
  }
  await Promise.all(Array.from({ length: samplesAtOnce(k) }, lane));
  return { graded: all.length, routed };
}

/** The same through the judge stage on a real Redis: run store, BullMQ queue, stage worker. */
async function viaWorker(
  grader: Grader,
  k: number,
  redisUrl: string,
): Promise<{ graded: number; routed: number; wallS?: number }> {
  const rubric = await textRubric();
  const run = manifest(rubric, { k });
  run.run_id = `bench-k${k}`;
  const client = createRedis(redisUrl, { role: 'client' });
  const workerConnection = createRedis(redisUrl, { role: 'worker' });
  const store = new RunStore(client, 'gavel');
  const prefix = `{bench-k${k}}`;
  const queue = { connection: client, prefix };
  const judgeQueue = stageQueue('judge', queue);
  const arbiterQueue = stageQueue('arbiter-submit', queue);
  await store.createRun(run);
  await store.putRubricText(rubric.ref, rubric.text);
  const all = cases();
  for (let start = 0; start < all.length; start += 1000) {
    const chunk = all.slice(start, start + 1000);
    await store.putSamples(
      run.run_id,
      chunk.map((c) => c.sample),
    );
    await Promise.all(chunk.map((c) => store.putFacts(run.run_id, c.sample.id, c.facts)));
  }
  const rubrics = createRubricCache((key) => store.getRubricText(key));
  // Timed from here: storing the samples and facts is the producer's and sandbox's work.
  const started = performance.now();
  const worker = startStageWorker({
    stage: 'judge',
    queue: { ...queue, connection: workerConnection },
    store,
    concurrency: samplesAtOnce(k),
    processor: createJudgeStage({ grader, rubrics, arbiterSubmit: arbiterQueue }),
    logger: silentLogger,
  });
  for (let start = 0; start < all.length; start += 1000) {
    await addStageJobs(
      judgeQueue,
      all.slice(start, start + 1000).map((c) => ({ runId: run.run_id, sampleId: c.sample.id })),
    );
  }
  // Completed jobs are trimmed; the run store is the source of truth.
  let progress = await store.progress(run.run_id);
  while (progress.ended < all.length) {
    await new Promise((r) => setTimeout(r, 100));
    progress = await store.progress(run.run_id);
  }
  const wallS = (performance.now() - started) / 1000;
  const failed = progress.failed;
  const routed = progress.routed;
  await worker.close();
  await Promise.all([judgeQueue.close(), arbiterQueue.close()]);
  client.disconnect();
  workerConnection.disconnect();
  if (failed > 0) throw new Error(`${failed} judge job(s) failed`);
  return { graded: all.length, routed, wallS };
}

/** Each k runs in a fresh process, so one run's memory does not count against the next. */
async function runEachK(): Promise<void> {
  for (const k of KS) {
    const args = process.argv.slice(2).filter((_, i, all) => all[i - 1] !== '--k' && all[i] !== '--k');
    const heap = values['max-old-space-mib'] ? [`--max-old-space-size=${values['max-old-space-mib']}`] : [];
    const child = spawn(
      process.execPath,
      [...heap, ...SOURCE_NODE_ARGS, import.meta.filename, ...args, '--k', String(k)],
      { cwd: ROOT, env: { ...process.env, GAVEL_BENCH_CHILD: '1' }, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`bench for k=${k} exited with ${code}`);
  }
}

if (process.env.GAVEL_BENCH_CHILD !== '1') {
  await runEachK();
  process.exit(0);
}

const redis = VIA === 'worker' ? await startRedis({ appendonly: false }) : undefined;
try {
  for (const k of KS) {
    const fake = await startFakeProcess(LATENCY_MS);
    const grader = await createLlmGrader(settings({ url: fake.url, inflight: INFLIGHT, k }));
    const baseline = process.memoryUsage();
    const memory = memorySampler();
    const started = performance.now();
    const result =
      VIA === 'worker' ? await viaWorker(grader, k, (redis as { url: string }).url) : await direct(grader, k);
    const wallS = result.wallS ?? (performance.now() - started) / 1000;
    const peak = memory.stop();
    const server = await fake.stop();
    await grader.close();
    const requests = server.counts.completions;
    const boundS = (requests * (LATENCY_MS / 1000)) / INFLIGHT;
    emit({
      figure: 'judge_throughput',
      via: VIA,
      k,
      samples: result.graded,
      requests,
      tokenize_requests: server.counts.tokenize,
      latency_ms: LATENCY_MS,
      inflight: INFLIGHT,
      max_old_space_mib: values['max-old-space-mib'] ? Number(values['max-old-space-mib']) : null,
      wall_s: Math.round(wallS * 100) / 100,
      littles_law_bound_s: Math.round(boundS * 100) / 100,
      of_bound: Math.round((boundS / wallS) * 1000) / 1000,
      samples_per_s: Math.round((result.graded / wallS) * 10) / 10,
      server_peak_inflight: server.peakInflight,
      rubric_prefixes: server.systemPrefixes.length,
      routed_to_arbiter: result.routed,
      worker_peak_rss_mib: mib(peak.rss),
      worker_baseline_rss_mib: mib(baseline.rss),
      worker_peak_heap_mib: mib(peak.heap),
      worker_baseline_heap_mib: mib(baseline.heapUsed),
    });
  }
} finally {
  await redis?.stop();
}
