/**
 * The LLM judge inside the whole pipeline: N text samples enqueued by the compiled CLI and carried by
 * the four compiled stage workers (each its own process, the sandbox stage feeding the judge as it
 * goes), the judge grading against the fake vLLM server (its own process, `--latency-ms` per answer)
 * with `--inflight` requests in flight. The judge phase (first completion request to last answer, as
 * the server saw them) is compared with the Little's-law bound of the same run (requests × latency /
 * in-flight), and, as the same-run baseline, with the judge stage alone on the same samples (the
 * sandbox stage run to the end first, then the judge). Beside each figure, so the time can be placed:
 * CPU seconds of every process over the phase; the judge worker's event-loop delay
 * (`monitorEventLoopDelay`, preloaded by test/support/loop-delay.mjs); the server's mean requests in
 * flight and mean time per answer (of_bound = mean in flight / in-flight × latency / mean answer
 * time); when the last sample's facts were recorded (a judge waiting on the sandbox stage); and the
 * judge worker's peak RSS (VmHWM).
 * Prints one JSON line per figure.
 *
 *   npm run build && node --conditions=@gavel/source --import tsx test/bench/judge-pipeline.ts \
 *     [--samples 10000] [--latency-ms 200] [--inflight 64] [--k 0] [--concurrency N] [--cpu-prof-dir DIR]
 *
 * `--concurrency` sets GAVEL_CONCURRENCY for every worker (as `gavel workers --concurrency` does);
 * `--cpu-prof-dir` writes a V8 CPU profile of the judge worker of each phase there.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { QUEUE_NAMES, type Stage, stageQueuePrefix } from '@gavel/core';
import { createRedis, RunStore } from '@gavel/queue';
import { Queue } from 'bullmq';
import { COMPILED_GAVEL_CLI, jsonl, ROOT, SOURCE_NODE_ARGS, textSample } from '../support/gavel.ts';
import { startRedis } from '../support/redis.ts';
import { type StageProcess, startStageProcess } from '../support/stage-process.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '10000' },
    'latency-ms': { type: 'string', default: '200' },
    inflight: { type: 'string', default: '64' },
    k: { type: 'string', default: '0' },
    concurrency: { type: 'string' },
    'cpu-prof-dir': { type: 'string' },
  },
});
const N = Number(values.samples);
const LATENCY_MS = Number(values['latency-ms']);
const INFLIGHT = Number(values.inflight);
const K = Number(values.k);
const run = promisify(execFile);
const CLOCK_TICKS = 100; // USER_HZ on Linux
const LOOP_DELAY = join(ROOT, 'test/support/loop-delay.mjs');

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

/** Calls per Redis command so far (INFO commandstats). */
async function commandCalls(): Promise<Map<string, number>> {
  const info = await client.info('commandstats');
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1] as string, Number(m[2])]));
}

/** A process's peak resident memory so far (VmHWM), MiB. */
async function peakRssMib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
}

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

interface FakeReport {
  counts: { completions: number; tokenize: number };
  peakInflight: number;
  timeline: { firstCompletionAt?: number; lastAnswerAt?: number; servedMs: number };
}

async function startFake(): Promise<{ url: string; child: ChildProcess; stop(): Promise<FakeReport> }> {
  const child = spawn(
    process.execPath,
    [...SOURCE_NODE_ARGS, 'test/fakes/vllm-server.ts', '0', String(LATENCY_MS), '16384'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const { url } = JSON.parse(String((await lines.next()).value)) as { url: string };
  return {
    url,
    child,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const report = JSON.parse(String((await lines.next()).value)) as FakeReport;
      await exited;
      return report;
    },
  };
}

const redis = await startRedis({ appendonly: false });
const client = createRedis(redis.url, { role: 'client' });
const store = new RunStore(client, 'gavel');
const judgeQueue = new Queue(QUEUE_NAMES.judge, { connection: client, prefix: stageQueuePrefix('gavel', 'judge') });
const dir = await mkdtemp(join(tmpdir(), 'gavel-bench-judge-'));
const file = join(dir, 'samples.jsonl');
await writeFile(file, jsonl(Array.from({ length: N }, (_, i) => textSample(i))));

type Progress = Awaited<ReturnType<RunStore['progress']>>;

async function until(runId: string, done: (p: Progress) => boolean, seen?: (p: Progress) => void): Promise<void> {
  for (;;) {
    const progress = await store.progress(runId);
    seen?.(progress);
    if (done(progress)) return;
    if (progress.failed > 0) throw new Error(`${runId}: ${progress.failed} sample(s) failed`);
    await sleep(100);
  }
}

async function phase(name: 'pipeline' | 'judge_alone'): Promise<number> {
  const fake = await startFake();
  const runId = `bench-${name}`;
  const env: NodeJS.ProcessEnv = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_METRICS_PORT: '0',
    GAVEL_SANDBOX: 'none',
    GAVEL_JUDGE: 'vllm',
    GAVEL_JUDGE_URL: fake.url,
    GAVEL_JUDGE_MODEL: 'judge-model',
    GAVEL_JUDGE_FAMILY: 'judgefam',
    GAVEL_JUDGE_INFLIGHT: String(INFLIGHT),
    GAVEL_JUDGE_K: String(K),
    ...(values.concurrency ? { GAVEL_CONCURRENCY: values.concurrency } : {}),
  };
  const profile = (stage: Stage) =>
    stage === 'judge' && values['cpu-prof-dir']
      ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}/${name}`]
      : [];
  const loopDelayFile = join(dir, `loop-delay-${name}.json`);
  const start = (stage: Stage) =>
    startStageProcess(stage, stage === 'judge' ? { ...env, BENCH_LOOP_DELAY_OUT: loopDelayFile } : env, {
      compiled: true,
      nodeArgs: [...profile(stage), ...(stage === 'judge' ? ['--import', LOOP_DELAY] : [])],
    });
  // The judge's loop delay counts from here (the preload resets its histogram on SIGUSR2).
  const resetLoopDelay = () => processes.get('judge')?.child.kill('SIGUSR2');
  const processes = new Map<string, StageProcess>();
  const cpuAtStart = new Map<string, number>();
  const track = async (label: string, p: StageProcess) => {
    processes.set(label, p);
    cpuAtStart.set(label, await cpuSeconds(p.child.pid as number));
  };
  const stages: Stage[] = name === 'pipeline' ? ['sandbox', 'judge', 'arbiter-submit', 'arbiter-collect'] : ['sandbox'];
  for (const stage of stages) await track(stage, start(stage));
  await sleep(3000);
  const other = {
    redis: await cpuSeconds(redis.process.pid as number),
    fake: await cpuSeconds(fake.child.pid as number),
  };
  const callsBefore = await commandCalls();
  const started = performance.now();
  resetLoopDelay();
  await run(process.execPath, [...COMPILED_GAVEL_CLI, 'enqueue', file, '--run', runId], {
    env: { ...process.env, ...env },
  });
  if (name === 'judge_alone') {
    // The sandbox stage runs to the end first; then the judge stage has the samples to itself.
    await until(runId, (p) => p.facts === N);
    await processes.get('sandbox')?.stop();
    processes.delete('sandbox');
    for (const stage of ['judge', 'arbiter-submit', 'arbiter-collect'] as const) await track(stage, start(stage));
    await sleep(1000);
    resetLoopDelay();
  }
  let factsDoneAt: number | undefined;
  // The judge's active jobs, polled while every sample still waits for the judge (fewer active jobs
  // than request slots would leave slots idle).
  const active: number[] = [];
  await until(
    runId,
    (p) => p.ended === N,
    (p) => {
      if (p.facts === N) factsDoneAt ??= Date.now();
      if (p.judged > 0 && p.judged < N - 2 * INFLIGHT)
        void judgeQueue.getActiveCount().then(
          (n) => active.push(n),
          () => undefined,
        );
    },
  );
  const wallS = (performance.now() - started) / 1000;
  const callsAfter = await commandCalls();
  const perSample: Record<string, number> = {};
  for (const [command, calls] of callsAfter) {
    const delta = calls - (callsBefore.get(command) ?? 0);
    if (delta >= N / 10) perSample[command] = Math.round((delta / N) * 100) / 100;
  }
  const cpu: Record<string, number> = {};
  for (const [label, p] of processes)
    cpu[label] = (await cpuSeconds(p.child.pid as number)) - (cpuAtStart.get(label) ?? 0);
  cpu.redis = (await cpuSeconds(redis.process.pid as number)) - other.redis;
  const judgePid = processes.get('judge')?.child.pid as number;
  const judgePeakRss = await peakRssMib(judgePid);
  cpu.fake_vllm = (await cpuSeconds(fake.child.pid as number)) - other.fake;
  for (const p of processes.values()) await p.stop();
  const server = await fake.stop();
  const loopDelay = JSON.parse(await readFile(loopDelayFile, 'utf8')) as Record<string, number>;
  const { firstCompletionAt = 0, lastAnswerAt = 0, servedMs } = server.timeline;
  const judgePhaseS = (lastAnswerAt - firstCompletionAt) / 1000;
  const boundS = (server.counts.completions * LATENCY_MS) / 1000 / INFLIGHT;
  const round = (x: number, places = 2) => Math.round(x * 10 ** places) / 10 ** places;
  emit({
    figure: `judge_${name}`,
    samples: N,
    k: K,
    latency_ms: LATENCY_MS,
    inflight: INFLIGHT,
    gavel_concurrency: values.concurrency ? Number(values.concurrency) : null,
    completions: server.counts.completions,
    tokenize_requests: server.counts.tokenize,
    server_peak_inflight: server.peakInflight,
    judge_phase_s: Math.round(judgePhaseS * 100) / 100,
    littles_law_bound_s: Math.round(boundS * 100) / 100,
    of_bound: round(boundS / judgePhaseS, 3),
    server_mean_inflight: round(servedMs / 1000 / judgePhaseS, 1),
    server_mean_answer_ms: round(servedMs / server.counts.completions, 1),
    // When the sandbox stage had recorded every sample's facts, from the judge phase's start.
    facts_done_s: factsDoneAt === undefined ? null : round((factsDoneAt - firstCompletionAt) / 1000),
    judge_loop_delay: loopDelay,
    judge_active_jobs:
      active.length === 0
        ? null
        : {
            mean: round(active.reduce((a, b) => a + b, 0) / active.length, 1),
            min: Math.min(...active),
            polls: active.length,
          },
    judge_cpu_ms_per_sample: round(((cpu.judge ?? 0) * 1000) / N, 3),
    judge_peak_rss_mib: judgePeakRss,
    run_wall_s: round(wallS),
    redis_calls_per_sample: perSample,
    cpu_s: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(v * 100) / 100])),
  });
  return boundS / judgePhaseS;
}

try {
  const alone = await phase('judge_alone');
  const pipeline = await phase('pipeline');
  emit({
    figure: 'judge_pipeline_over_judge_alone',
    of_bound_pipeline: pipeline,
    of_bound_alone: alone,
    ratio: pipeline / alone,
  });
} finally {
  await judgeQueue.close();
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
