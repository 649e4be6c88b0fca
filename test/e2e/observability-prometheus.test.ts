// A real run watched by a real Prometheus: the four stage workers (`gavel workers`), the
// gpu-agent (real main, on the fake nvidia-smi / fake vLLM / fake Ollama of the GPU rig), code
// samples in the real Docker sandbox, the LLM judge behind the GPU lease, and the arbiter on the
// Batches fake. Prometheus finds every process through the file_sd directory they each register a file in; then
// every PromQL expression of the three dashboards is evaluated through Prometheus's HTTP API.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGES } from '@gavel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeBatchesServer, startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { batchArbiterEnv } from '../integration/arbiter-fixtures.ts';
import { AGENT_MAIN, type GpuRig, startGpuRig } from '../integration/gpu-fixtures.ts';
import { passFailCodeSamples, sandboxImage } from '../integration/sandbox-fixtures.ts';
import { GAVEL_CLI, gavel, jsonl, ROOT, SOURCE_NODE_ARGS, startWorkers, textSample } from '../support/gavel.ts';
import { type PrometheusServer, startPrometheus } from '../support/prometheus.ts';

const API_KEY = 'sk-ant-test-observability';
const RUN = 'obs-run';

let rig: GpuRig;
let prom: PrometheusServer;
let batches: FakeBatchesServer;
let dir: string;

beforeAll(async () => {
  rig = await startGpuRig();
  prom = await startPrometheus();
  batches = await startFakeAnthropicBatches({ apiKey: API_KEY, processingMs: 300 });
  dir = await mkdtemp(join(tmpdir(), 'gavel-obs-'));
});
afterAll(async () => {
  await batches?.stop();
  await prom?.stop();
  await rig?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every metric the issue asks for, by the name a process exposes it under. */
const CATALOG = [
  'gavel_stage_jobs_completed_total',
  'gavel_stage_jobs_failed_total',
  'gavel_stage_jobs_retried_total',
  'gavel_stage_job_duration_seconds_bucket',
  'gavel_queue_depth',
  'gavel_queue_oldest_waiting_age_seconds',
  'gavel_judge_inflight_requests',
  'gavel_judge_tokens_total',
  'gavel_arbiter_tokens_total',
  'gavel_arbiter_cost_usd_total',
  'gavel_arbiter_uncached_cost_usd_total',
  'gavel_gpu_energy_cost_usd_total',
  'gavel_verdicts_total',
  'gavel_route_reasons_total',
  'gavel_sandbox_outcomes_total',
  'gavel_run_samples',
  'gavel_run_final_verdicts',
  'gavel_gpu_memory_used_bytes',
  'gavel_gpu_memory_total_bytes',
  'gavel_gpu_utilization_ratio',
  'gavel_gpu_power_watts',
  'gavel_gpu_power_limit_watts',
  'gavel_gpu_temperature_celsius',
  'gavel_gpu_lease_owner',
  'gavel_gpu_handovers_total',
];

async function dashboardExprs(): Promise<{ dashboard: string; panel: string; expr: string }[]> {
  const out: { dashboard: string; panel: string; expr: string }[] = [];
  for (const name of ['pipeline', 'gpu', 'cost']) {
    const d = JSON.parse(await readFile(join(ROOT, 'grafana', 'dashboards', `${name}.json`), 'utf8'));
    for (const p of d.panels) for (const t of p.targets) out.push({ dashboard: name, panel: p.title, expr: t.expr });
  }
  return out;
}

/** A gavel process (by default the real gpu-agent main) as its own child process. */
function startProcess(
  env: Record<string, string>,
  args: readonly string[] = [...SOURCE_NODE_ARGS, AGENT_MAIN],
): { child: ChildProcess; output(): string; stop(): Promise<void> } {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function scalar(expr: string): Promise<number> {
  const r = await prom.query(expr);
  return Number(r[0]?.value[1] ?? Number.NaN);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('Prometheus scrapes every gavel process found through file_sd', () => {
  it('has the whole metric catalog, and every dashboard query returns data from a real run', async () => {
    const shared = { GAVEL_REDIS_URL: rig.redis.url, GAVEL_LOG_LEVEL: 'warn', GAVEL_PROM_SD_DIR: prom.sdDir };
    const env = {
      ...shared,
      GAVEL_SANDBOX: 'docker',
      GAVEL_SANDBOX_IMAGE: sandboxImage(),
      GAVEL_SANDBOX_CONCURRENCY: '2',
      // the judge grades only while vLLM holds the card; the agent starts vLLM when judge work waits
      GAVEL_JUDGE: 'vllm',
      GAVEL_JUDGE_URL: `http://127.0.0.1:${rig.vllmPort}`,
      GAVEL_JUDGE_MODEL: 'judge-model',
      GAVEL_JUDGE_FAMILY: 'judgefam',
      GAVEL_JUDGE_WAIT_S: '0',
      GAVEL_JUDGE_INVALID_RETRIES: '0',
      // shorter than the idle time below: a worker that checked the (absent) server at start-up would die
      GAVEL_JUDGE_STARTUP_WAIT_S: '3',
      GAVEL_JUDGE_GPU_GATE: 'true',
      GAVEL_GPU_POLL_MS: '100',
      ...batchArbiterEnv(batches.url, API_KEY),
    };
    // Text: right (final), wrong (final), and "Paris city" (F1 0.67, score exactly at the 0.6
    // threshold: routed to the arbiter). Code: HumanEval canonical solutions (pass) and
    // completions that return None (fail) in the sandbox.
    const code = passFailCodeSamples(4);
    const text = [
      ...Array.from({ length: 6 }, (_, i) => textSample(i)),
      ...Array.from({ length: 3 }, (_, i) => textSample(100 + i, { output: 'Paris city' })),
    ];
    const file = join(dir, 'run.jsonl');
    await writeFile(file, jsonl([...text, ...code]));
    const total = text.length + code.length;

    // The vLLM the agent starts answers its first two completions 503 (a job retried) and the
    // third with text that is not JSON (a job failed for good, with the raw answer as its reason).
    const agent = startProcess(
      rig.env(
        { ...shared, GAVEL_GPU_IDLE_S: '1', GAVEL_GPU_HANDOVER_RETRY_S: '1', GAVEL_NVIDIA_SMI_INTERVAL_MS: '200' },
        '--fail-first 2 --malform-first 1',
      ),
    );
    const workers = startWorkers(env);
    // the board (`gavel board`, loopback, free ports) serves its process metrics too
    const board = startProcess({ ...shared, GAVEL_BOARD_PORT: '0' }, [...GAVEL_CLI, 'board']);
    try {
      // Everything starts on an idle site: vLLM is not running, so the gated judge worker must come
      // up without a judge server and check it only once the gate lets the first job through.
      await until('all seven processes registered in file_sd', async () => (await prom.registered()).length === 7);
      await new Promise((r) => setTimeout(r, 5_000));
      const enq = await gavel(['enqueue', file, '--run', RUN], env);
      expect(enq.code, enq.stderr).toBe(0);
      await until(
        'every sample to end',
        async () => {
          const st = await gavel(['status', RUN, '--json'], env);
          return st.code === 0 && JSON.parse(st.stdout).ended === total;
        },
        240_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${workers.output().slice(-4000)}\n${agent.output().slice(-4000)}`);
      });
      // no stage worker died and was restarted on the way (the judge worker included): one start per stage
      expect(workers.output().match(/worker-[a-z-]+ started \(pid \d+\)/g)?.length, workers.output()).toBe(
        STAGES.length,
      );
      const status = JSON.parse((await gavel(['status', RUN, '--json'], env)).stdout);
      const exported = await gavel(['export', RUN], env);
      const records = exported.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const failed = records.filter((r) => r.status === 'failed');
      expect(status, JSON.stringify(failed.map((r) => [r.sample_id, r.failure]))).toMatchObject({
        total,
        verdicts: total - 1,
        failed: 1,
      });
      expect(failed.map((r) => [r.failure.stage, r.failure.code])).toEqual([['judge', 'input']]);
      expect(failed[0].failure.reason).toContain('did not validate');
      // the "Paris city" samples that reached a verdict went through the arbiter
      const arbitrated = records.filter((r) => r.verdict?.source === 'arbiter');
      const nearThreshold = text.filter((t) => t.output === 'Paris city' && t.id !== failed[0].sample_id);
      expect(arbitrated.map((r) => r.sample_id).sort()).toEqual(nearThreshold.map((t) => t.id).sort());

      // The card goes back to Ollama once the judge queue is idle: a second handover.
      await until(
        'two handovers and the last verdicts scraped',
        async () =>
          (await scalar('sum(gavel_gpu_handovers_total{outcome="ok"})')) >= 2 &&
          (await scalar('sum(gavel_verdicts_total)')) >= total - 1 &&
          (await scalar(`max(gavel_run_final_verdicts{run_id="${RUN}"})`)) === total - 1,
        90_000,
      );
      // a few more scrapes, so rate() and increase() have two points of every series
      await new Promise((r) => setTimeout(r, 3_000));

      const up = await prom.query('up{job=~"gavel.*"} == 1');
      expect(new Set(up.map((s) => s.metric.job))).toEqual(
        new Set([
          'gavel-worker-generate',
          'gavel-worker-sandbox',
          'gavel-worker-judge',
          'gavel-worker-arbiter-submit',
          'gavel-worker-arbiter-collect',
          'gavel-gpu-agent',
          'gavel-board',
        ]),
      );
      expect((await prom.query('gavel_board_process_resident_memory_bytes')).length).toBe(1);
      const missing: string[] = [];
      for (const name of CATALOG) if ((await prom.query(name)).length === 0) missing.push(name);
      expect(missing).toEqual([]);

      // What the counters say agrees with what the run store recorded.
      expect(await scalar('sum(gavel_verdicts_total)')).toBe(total - 1);
      expect(await scalar('sum(gavel_route_reasons_total{reason="near_threshold"})')).toBe(nearThreshold.length);
      const outcome = (o: string) =>
        records.filter((r) => r.kind === 'code' && r.facts.tests.failed > 0 === (o === 'failed')).length;
      expect(await scalar('sum(gavel_sandbox_outcomes_total{outcome="passed"})')).toBe(outcome('passed'));
      expect(await scalar('sum(gavel_sandbox_outcomes_total{outcome="failed"})')).toBe(outcome('failed'));
      expect(outcome('passed')).toBe(2);
      expect(await scalar('sum(gavel_stage_jobs_retried_total{stage="judge"})')).toBe(2);
      expect(await scalar('sum(gavel_stage_jobs_failed_total{stage="judge",code="input"})')).toBe(1);
      expect(await scalar(`max(gavel_run_samples{run_id="${RUN}"})`)).toBe(total);
      expect(await scalar('sum(gavel_arbiter_cost_usd_total)')).toBeGreaterThan(0);
      expect(await scalar('sum(gavel_judge_tokens_total{type="input"})')).toBeGreaterThan(0);

      const results: { dashboard: string; panel: string; expr: string; series: number }[] = [];
      for (const e of await dashboardExprs()) results.push({ ...e, series: (await prom.query(e.expr)).length });
      for (const r of results) console.log(JSON.stringify(r));
      expect(results.filter((r) => r.series === 0).map((r) => `${r.dashboard} | ${r.panel} | ${r.expr}`)).toEqual([]);
    } finally {
      await workers.stop();
      await agent.stop();
      await board.stop();
    }
    // every process removed its file_sd entry on shutdown
    expect(await prom.registered()).toEqual([]);
  });
});
