// Sandbox stage throughput: the 164 HumanEval canonical solutions through the Docker sandbox (ruff +
// pyright in the warm analysis container, pytest in a fresh hardened container per sample) at
// parallelism 1, 2 and 4, beside the naive baseline measured in the same run: one `docker run --rm`
// per sample running ruff (wasm), pyright and pytest, with `xargs -P` at the same parallelism. The
// naive baseline runs on a fixed subset (the first NAIVE_N problems) to keep the bench short; both
// are reported as samples/s. One JSON line per figure.
// Parallelism P = execution containers at once (the sandbox's concurrency gate; xargs -P for the
// naive one). The stage keeps --in-flight samples in flight (as the worker's BullMQ concurrency does),
// so pyright checks them in batches in the warm analysis container. Beside them, the floor of the same
// run: `docker run --rm` of an empty container, and of pytest alone, per sample at the same parallelism.
// split_ms_mean says where a sample's time goes: container (engine time on its path: waiting for its
// container, start, inspect; creation is hidden when the container was made ahead), analysis (of it,
// analysis_queue: queued behind other pyright batches or held while its batch gathered), execution.
// cpu_ms_per_sample says where the machine's CPU goes (cpu-account.ts), and two_idle_cores_ceiling_per_s
// what 2 idle cores would give at that cost: on a loaded machine the rate itself mostly measures the
// other load.
//   node --conditions=@gavel/source --import tsx test/bench/sandbox-throughput.ts [--naive-n 24] [--parallel 1,2,4] [--in-flight 32] [--samples 164] [--no-on-demand]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  type Facts,
  HumanEvalProblem,
  humanEvalSample,
  type PointwiseSample as Sample,
  SandboxRunConfig,
} from '@gavel/core';
import { createDockerSandbox, loadSandboxConfig, sampleWorkspace, workspaceTar } from '@gavel/sandbox';
import { startCpuAccount } from './cpu-account.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const NAIVE_N = Number(arg('naive-n', '24'));
const PARALLEL = arg('parallel', '1,2,4').split(',').map(Number);
/** Samples in flight in the stage (as BullMQ concurrency would give): execution containers are gated at P. */
const IN_FLIGHT = Number(arg('in-flight', '32'));
/** --no-on-demand: skip the same-run baseline of containers created on demand (a shorter run). */
const ON_DEMAND = !process.argv.includes('--no-on-demand');
const image = execFileSync('bash', ['sandbox/image-tag'], { encoding: 'utf8' }).trim();
const problems = gunzipSync(readFileSync(new URL('../../datasets/humaneval/HumanEval.jsonl.gz', import.meta.url)))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((l) => HumanEvalProblem.parse(JSON.parse(l)));
/** The first N problems (default all 164). */
const SAMPLES = Number(arg('samples', String(problems.length)));
const samples: Sample[] = problems
  .slice(0, SAMPLES)
  .map((p, i) =>
    humanEvalSample(p, p.canonical_solution ?? '', `he-${i}`, { model: 'canonical', family: 'humaneval' }),
  );
const limits = SandboxRunConfig.parse({ backend: 'docker' });
const emit = (o: object) => console.log(JSON.stringify(o));

let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

async function sandboxRun(parallel: number, createAhead = true) {
  const sandbox = await createDockerSandbox(
    loadSandboxConfig({ GAVEL_SANDBOX_IMAGE: image, GAVEL_SANDBOX_CONCURRENCY: String(parallel) }),
    undefined,
    { createAhead },
  );
  const { instance } = await sandbox.describe();
  const cpu = await startCpuAccount(instance);
  const facts: Facts[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < samples.length) {
        const s = samples[next++] as Sample;
        facts.push(await sandbox.codeFacts(s, limits, AbortSignal.timeout(300_000)));
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const used = await cpu.stop();
  await sandbox.close();
  const mean = (k: 'container' | 'analysis' | 'analysis_queue' | 'execution') =>
    facts.reduce((a, f) => a + (f.sandbox?.split_ms?.[k] ?? 0), 0) / facts.length;
  const passed = facts.filter((f) => f.tests?.passed === 1).length;
  const perSample = (ms: number | null) => (ms === null ? null : Number((ms / samples.length).toFixed(1)));
  const ownMs = used.stage_ms + (used.analysis_container_ms ?? 0) + (used.exec_containers_ms ?? 0);
  return {
    wall,
    rate: samples.length / wall,
    passed,
    split: {
      container_ms: mean('container'),
      analysis_ms: mean('analysis'),
      analysis_queue_ms: mean('analysis_queue'),
      execution_ms: mean('execution'),
    },
    // CPU time per sample by component, and what two idle cores would allow at that cost (the
    // engine's daemons included; containerd-shim and runc not counted).
    cpu_ms_per_sample: {
      stage: perSample(used.stage_ms),
      analysis_container: perSample(used.analysis_container_ms),
      exec_containers: perSample(used.exec_containers_ms),
      engine_daemons: perSample(used.engine_daemons_ms),
      exec_containers_seen: used.exec_containers,
    },
    two_idle_cores_ceiling_per_s: Number(((2000 * samples.length) / (ownMs + used.engine_daemons_ms)).toFixed(2)),
  };
}

const NAIVE_SCRIPT = [
  'set -e; cd /scratch; tar xf - ; cd in 2>/dev/null || true',
  `node -e "const r=require('/opt/gavel/tools/node_modules/@astral-sh/ruff-wasm-nodejs');const w=new r.Workspace(r.Workspace.defaultSettings(),1);console.log(JSON.stringify(w.check(require('fs').readFileSync('solution/solution.py','utf8'))))" > /tmp/ruff.json`,
  'node /opt/gavel/tools/node_modules/pyright/index.js --outputjson solution/solution.py > /tmp/pyright.json || true',
  'PYTHONPATH=/scratch/solution python3 -m pytest -q -p no:cacheprovider --junitxml=/tmp/junit.xml tests/ > /dev/null || true',
  'grep -c "<testcase" /tmp/junit.xml',
].join('\n');

/** The floor's scripts: a container that does nothing, and pytest alone on the sample's tests. */
const EMPTY_SCRIPT = 'true';
const PYTEST_SCRIPT = [
  'set -e; cd /scratch; tar xf - ; cd in 2>/dev/null || true',
  'PYTHONPATH=/scratch/solution python3 -m pytest -q -p no:cacheprovider --junitxml=/tmp/junit.xml tests/ > /dev/null || true',
  'grep -c "<testcase" /tmp/junit.xml',
].join('\n');

/** `docker run --rm` of `script` once per sample tar in `dir`, `parallel` at a time (xargs -P). */
async function dockerRunLoop(parallel: number, dir: string, script: string) {
  const t0 = performance.now();
  const r = spawnSync(
    'sh',
    [
      '-c',
      `ls ${dir}/*.tar | xargs -P ${parallel} -I{} sh -c 'docker run --rm -i --network none --read-only --tmpfs /scratch:exec,size=64m --tmpfs /tmp:size=64m --user 65534 --cap-drop ALL --security-opt no-new-privileges --memory 1536m --label gavel=sandbox --entrypoint sh ${image} -c "$0" < {}' '${script.replaceAll("'", "'\\''")}'`,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const wall = (performance.now() - t0) / 1000;
  const reports = r.stdout.split('\n').filter((l) => l.trim() === '1').length;
  if (r.status !== 0) process.stderr.write(r.stderr.slice(0, 2000));
  return { wall, rate: NAIVE_N / wall, reports };
}

const naiveRun = (parallel: number, dir: string) => dockerRunLoop(parallel, dir, NAIVE_SCRIPT);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'gavel-naive-'));
  try {
    for (const s of samples.slice(0, NAIVE_N)) {
      const ws = sampleWorkspace(s);
      // The naive baseline runs the tests as written (pytest against the reference module, no runner).
      const tar = await workspaceTar({ ...ws, solution: ws.solution }, { timeout_s: 25, output_bytes: 1 << 20 });
      writeFileSync(join(dir, `${s.id}.tar`), tar);
    }
    const results: Record<
      number,
      { sandbox: Awaited<ReturnType<typeof sandboxRun>>; naive: Awaited<ReturnType<typeof naiveRun>> }
    > = {};
    for (const p of PARALLEL) {
      const naive = await naiveRun(p, dir);
      // The same sandbox with each execution container created when its sample's turn comes (before).
      const onDemand = ON_DEMAND ? await sandboxRun(p, false) : null;
      const sandbox = await sandboxRun(p);
      results[p] = { sandbox, naive };
      if (onDemand)
        emit({
          figure: 'sandbox_samples_per_s_containers_on_demand',
          parallel: p,
          samples: samples.length,
          value: Number(onDemand.rate.toFixed(3)),
          wall_s: Number(onDemand.wall.toFixed(2)),
          passed: onDemand.passed,
          split_ms_mean: Object.fromEntries(Object.entries(onDemand.split).map(([k, v]) => [k, Number(v.toFixed(1))])),
          cpu_ms_per_sample: onDemand.cpu_ms_per_sample,
          two_idle_cores_ceiling_per_s: onDemand.two_idle_cores_ceiling_per_s,
        });
      emit({
        figure: 'sandbox_samples_per_s',
        parallel: p,
        samples: samples.length,
        value: Number(sandbox.rate.toFixed(3)),
        exec_containers_at_once: p,
        samples_in_flight: IN_FLIGHT,
        wall_s: Number(sandbox.wall.toFixed(2)),
        passed: sandbox.passed,
        split_ms_mean: Object.fromEntries(Object.entries(sandbox.split).map(([k, v]) => [k, Number(v.toFixed(1))])),
        cpu_ms_per_sample: sandbox.cpu_ms_per_sample,
        two_idle_cores_ceiling_per_s: sandbox.two_idle_cores_ceiling_per_s,
      });
      emit({
        figure: 'naive_docker_run_samples_per_s',
        parallel: p,
        samples: NAIVE_N,
        note: `baseline on the first ${NAIVE_N} problems (fixed subset) to keep the bench short`,
        value: Number(naive.rate.toFixed(3)),
        wall_s: Number(naive.wall.toFixed(2)),
        junit_reports: naive.reports,
      });
      emit({ figure: 'sandbox_speedup_vs_naive', parallel: p, value: Number((sandbox.rate / naive.rate).toFixed(2)) });
      if (onDemand)
        emit({
          figure: 'sandbox_create_ahead_over_on_demand',
          parallel: p,
          value: Number((sandbox.rate / onDemand.rate).toFixed(2)),
        });
      // The floor, same run: what `docker run` alone costs, and pytest alone (no analysers) in it.
      const empty = await dockerRunLoop(p, dir, EMPTY_SCRIPT);
      const pytest = await dockerRunLoop(p, dir, PYTEST_SCRIPT);
      emit({
        figure: 'floor_docker_run_per_s',
        parallel: p,
        samples: NAIVE_N,
        empty_container_per_s: Number(empty.rate.toFixed(3)),
        pytest_alone_per_s: Number(pytest.rate.toFixed(3)),
        pytest_junit_reports: pytest.reports,
        sandbox_over_pytest_alone: Number((sandbox.rate / pytest.rate).toFixed(2)),
        sandbox_over_empty_container: Number((sandbox.rate / empty.rate).toFixed(2)),
      });
    }
    clearInterval(rssTimer);
    emit({
      figure: 'worker_peak_rss_mib',
      value: Number((Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 1048576).toFixed(1)),
      note: 'the process running the sandbox stage (containers excluded)',
    });
    const left = execFileSync('docker', ['ps', '-a', '--filter', 'label=gavel=sandbox', '-q'], {
      encoding: 'utf8',
    }).trim();
    emit({ figure: 'gavel_containers_left', value: left ? left.split('\n').length : 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
