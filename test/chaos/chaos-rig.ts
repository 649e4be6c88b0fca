import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadBaseConfig, type SampleFailure, STAGES } from '@gavel/core';
import { closeRedis, createRedis, RunStore, stageQueue } from '@gavel/queue';
import type { Redis } from 'ioredis';
import { type FakeBatchesServer, startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { factsPolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { API_KEY, batchArbiterEnv, mixedOutcome } from '../integration/arbiter-fixtures.ts';
import { gavelContainers, humanEvalProblems, sandboxImage } from '../integration/sandbox-fixtures.ts';
import { type DurableRedis, durableRedis } from '../support/durable-redis.ts';
import {
  gavel,
  jsonl,
  ROOT,
  SOURCE_NODE,
  SOURCE_NODE_ARGS,
  sandboxWorkerPids,
  startWorkers,
  textSample,
  type WorkersProcess,
} from '../support/gavel.ts';
import { freePort } from '../support/redis.ts';
import { loadImage, type PrivateDockerd, startPrivateDockerd } from './private-dockerd.ts';
import { type VerdictWrites, watchVerdictWrites } from './verdict-writes.ts';

/** The job lock of every worker in the suite: a SIGSTOP of Redis longer than this loses the locks. */
export const LOCK_MS = 3_000;

export interface RigOptions {
  /** Scenario id (the run id is `chaos-<id>`). */
  id: string;
  text: number;
  code: number;
  /** The sandbox's engine is a private dockerd (the one scenario that restarts it). */
  privateDocker?: boolean;
  /** A gpu-agent holds the (fake) GPU lease; it starts the judge server (fake vLLM) and the judge is gated on it. */
  gpu?: boolean;
}

export interface Rig {
  readonly runId: string;
  readonly total: number;
  readonly redis: DurableRedis;
  /** A long-lived connection (reconnects for ever) for probes; never used to change the run. */
  readonly probe: Redis;
  readonly store: RunStore;
  readonly writes: VerdictWrites;
  /** The in-process judge server (absent with `gpu`: the agent runs it as its child). */
  readonly vllm: FakeVllm | undefined;
  readonly batches: FakeBatchesServer;
  readonly docker: PrivateDockerd | undefined;
  workers: WorkersProcess;
  /** The gpu-agent process (with `gpu`), restarted by {@link Rig.restartAgent}. */
  agent: ChildProcess | undefined;
  restartAgent(): void;
  /** Samples with an active job in any stage now. */
  inFlight(): Promise<string[]>;
  /** Of `ids`, those with neither a verdict nor a failure. */
  undecided(ids: readonly string[]): Promise<string[]>;
  ended(): Promise<number>;
  /** Per sample of the run, its jobs as `stage:state` (every state, finished ones included). */
  jobStates(): Promise<Map<string, string[]>>;
  /** Jobs BullMQ found stalled (lock lost) and moved back, from every stage queue's event stream. */
  stalled(): Promise<number>;
  /** Code samples whose recorded test outcome is not the one its completion has (canonical: all pass). */
  wrongCodeFacts(): Promise<string[]>;
  verdictCount(): Promise<number>;
  /** Starts redis-server again on its port from its AOF, and the verdict witness on it. */
  restartRedis(): Promise<void>;
  output(): string;
  /** Stops everything started; removes the temp dir. */
  close(): Promise<void>;
}

/** `text` text samples and `code` HumanEval code samples (two in three pass), code spread evenly through the file. */
export function chaosDataset(text: number, code: number): Record<string, unknown>[] {
  const problems = humanEvalProblems();
  const rows: Record<string, unknown>[] = Array.from({ length: text }, (_, i) => textSample(i, { id: `t-${i}` }));
  for (let c = 0; c < code; c += 1) {
    const p = problems[c % problems.length];
    if (!p) throw new Error('no HumanEval problems');
    const good = c % 3 !== 2;
    const row = {
      id: `c-${c}`,
      kind: 'code',
      prompt: p.prompt,
      output: p.prompt + (good ? (p.canonical_solution ?? '') : '    return None\n'),
      tests: `${p.test}\n\ncheck(${p.entry_point})\n`,
      expected_tests: 1,
      language: 'python',
      sut: { model: 'acme-7b', family: 'acme' },
    };
    rows.splice(Math.floor(((c + 0.5) * (text + c)) / code), 0, row);
  }
  return rows;
}

const openRigs = new Set<Rig>();

/** Closes every rig not closed yet (a scenario that timed out). */
export async function closeOpenRigs(): Promise<void> {
  for (const rig of [...openRigs]) await rig.close().catch(() => undefined);
}

export async function startRig(options: RigOptions): Promise<Rig> {
  const runId = `chaos-${options.id}`;
  const dir = await mkdtemp(join(tmpdir(), `gavel-chaos-${options.id}-`));
  const redisDir = join(dir, 'redis');
  await mkdir(redisDir);
  const redis = durableRedis(await freePort(), redisDir);
  await redis.start();
  const probe = createRedis(redis.url, { role: 'worker', connectionName: 'chaos-probe' });
  probe.on('error', () => {});
  const store = new RunStore(probe, loadBaseConfig({}).GAVEL_STORE_PREFIX);
  const writes = watchVerdictWrites(
    redis.port,
    redisDir,
    store.key(runId, 'verdicts'),
    join(dir, 'verdict-writes.log'),
  );
  writes.attach();
  const started: { vllm?: FakeVllm; ollama?: FakeOllama; docker?: PrivateDockerd } = {};
  const batches = await startFakeAnthropicBatches({ apiKey: API_KEY, processingMs: 1_000, outcome: mixedOutcome });
  const image = sandboxImage();
  let judgeEnv: Record<string, string>;
  let agentEnv: Record<string, string> = {};
  if (options.gpu) {
    const vramDir = join(dir, 'vram');
    await mkdir(vramDir);
    started.ollama = await startFakeOllama({
      models: [{ name: 'judge-model:latest', sizeBytes: 6 * 1024 ** 3 }],
      vramDir,
    });
    const vllmPort = await freePort();
    const fakeVllm = join(ROOT, 'test', 'fakes', 'fake-vllm.ts');
    judgeEnv = {
      GAVEL_JUDGE_URL: `http://127.0.0.1:${vllmPort}`,
      GAVEL_JUDGE_GPU_GATE: '1',
      GAVEL_GPU_ID: '0',
      GAVEL_GPU_POLL_MS: '100',
    };
    agentEnv = {
      GAVEL_DATA_DIR: dir,
      GAVEL_GPU_LEASE_TTL_S: '2',
      GAVEL_GPU_IDLE_S: '30',
      GAVEL_GPU_HANDOVER_RETRY_S: '1',
      GAVEL_OLLAMA_URL: started.ollama.url,
      GAVEL_VLLM_URL: `http://127.0.0.1:${vllmPort}`,
      GAVEL_VLLM_COMMAND: `${process.execPath} ${SOURCE_NODE} ${fakeVllm} --port ${vllmPort} --vram-dir ${vramDir} --vram-mib 20000 --flip-rate 0.05`,
      GAVEL_VRAM_FREE_MIB: '1024',
      GAVEL_NVIDIA_SMI: join(ROOT, 'test', 'fakes', 'nvidia-smi'),
      GAVEL_NVIDIA_SMI_INTERVAL_MS: '200',
      GAVEL_GPU_UNLOAD_TIMEOUT_S: '2',
      GAVEL_GPU_VRAM_TIMEOUT_S: '5',
      GAVEL_VLLM_START_TIMEOUT_S: '30',
      GAVEL_VLLM_STOP_TIMEOUT_S: '3',
      GAVEL_OLLAMA_GATE_PORT: '0',
      FAKE_NVIDIA_SMI_DIR: vramDir,
    };
  } else {
    // Some samples flip under temperature: low agreement routes them to the arbiter.
    started.vllm = await startFakeVllm({ policy: factsPolicy({ flipRate: 0.05 }), latencyMs: 5, record: false });
    judgeEnv = { GAVEL_JUDGE_URL: started.vllm.url };
  }
  if (options.privateDocker) {
    started.docker = await startPrivateDockerd(join(dir, 'dockerd'));
    await loadImage(started.docker, image);
  }
  const env: Record<string, string> = {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_LOCK_DURATION_MS: String(LOCK_MS),
    GAVEL_STALLED_INTERVAL_MS: '1000',
    GAVEL_SHUTDOWN_TIMEOUT_S: '5',
    GAVEL_JUDGE: 'vllm',
    GAVEL_JUDGE_MODEL: 'judge-model',
    GAVEL_JUDGE_FAMILY: 'judgefam',
    GAVEL_JUDGE_K: '2',
    GAVEL_JUDGE_WAIT_S: '120',
    ...judgeEnv,
    ...batchArbiterEnv(batches.url, API_KEY),
    GAVEL_SANDBOX: 'docker',
    GAVEL_SANDBOX_IMAGE: image,
    GAVEL_SANDBOX_CONCURRENCY: '2',
    ...(started.docker ? { GAVEL_DOCKER_HOST: started.docker.host } : {}),
  };
  const rows = chaosDataset(options.text, options.code);
  const file = join(dir, 'dataset.jsonl');
  await writeFile(file, jsonl(rows));
  const enqueued = await gavel(['enqueue', file, '--run', runId], env);
  if (enqueued.code !== 0) throw new Error(`gavel enqueue failed: ${enqueued.stderr}`);
  const workers = startWorkers(env);
  let agentOutput = '';
  const startAgent = (): ChildProcess => {
    const child = spawn(process.execPath, [...SOURCE_NODE_ARGS, join(ROOT, 'apps', 'gpu-agent', 'src', 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env, ...agentEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => {
      agentOutput += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      agentOutput += c.toString();
    });
    return child;
  };
  const config = loadBaseConfig(env);
  const queues = STAGES.map((stage) => stageQueue(stage, { connection: probe, prefix: config.GAVEL_QUEUE_PREFIX }));
  for (const q of queues) q.on('error', () => {});
  const hasNeither = async (ids: readonly string[]): Promise<string[]> => {
    if (ids.length === 0) return [];
    const [v, f] = await Promise.all([
      probe.hmget(store.key(runId, 'verdicts'), ...ids),
      probe.hmget(store.key(runId, 'failures'), ...ids),
    ]);
    return ids.filter((_, i) => v[i] === null && f[i] === null);
  };
  const rig: Rig = {
    runId,
    total: rows.length,
    redis,
    probe,
    store,
    writes,
    vllm: started.vllm,
    batches,
    docker: started.docker,
    workers,
    agent: options.gpu ? startAgent() : undefined,
    restartAgent() {
      rig.agent = startAgent();
    },
    async inFlight() {
      const jobs = await Promise.all(queues.map((q) => q.getJobs(['active'])));
      return [...new Set(jobs.flat().map((j) => j.data.sampleId))];
    },
    undecided: hasNeither,
    async ended() {
      return (await store.progress(runId)).ended;
    },
    async jobStates() {
      const states = new Map<string, string[]>();
      const all = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;
      for (const [i, q] of queues.entries()) {
        for (const state of all) {
          for (const job of await q.getJobs([state])) {
            if (job.data.runId !== runId) continue;
            const list = states.get(job.data.sampleId) ?? [];
            list.push(`${STAGES[i]}:${state}`);
            states.set(job.data.sampleId, list);
          }
        }
      }
      return states;
    },
    async stalled() {
      let n = 0;
      for (const q of queues) {
        const entries = await probe.xrange(q.keys.events ?? q.toKey('events'), '-', '+');
        n += entries.filter(([, fields]) => fields[0] === 'event' && fields[1] === 'stalled').length;
      }
      return n;
    },
    async wrongCodeFacts() {
      const wrong: string[] = [];
      for (const row of rows) {
        if (row.kind !== 'code') continue;
        const facts = await store.getFacts(runId, String(row.id));
        const good = Number(String(row.id).slice(2)) % 3 !== 2;
        const passed = facts?.tests ? facts.tests.passed === facts.tests.total && facts.tests.total > 0 : false;
        if (passed !== good) wrong.push(String(row.id));
      }
      return wrong;
    },
    async verdictCount() {
      return probe.hlen(store.key(runId, 'verdicts'));
    },
    async restartRedis() {
      await redis.start();
      writes.attach();
    },
    output: () => `${workers.output()}\n${agentOutput}`,
    async close() {
      if (!openRigs.delete(rig)) return;
      await workers.stop().catch(() => undefined);
      // A worker-sandbox SIGKILLed on the shared engine leaves its containers to the sweep of a later
      // sandbox start, once its lease has lapsed (60 s); none may come after the last test: remove them.
      if (!started.docker) removeContainersOfDead(sandboxWorkerPids(workers.output()));
      if (rig.agent && rig.agent.exitCode === null && rig.agent.signalCode === null) {
        const gone = once(rig.agent, 'exit');
        rig.agent.kill('SIGTERM');
        await Promise.race([gone, sleep(10_000)]);
        if (rig.agent.exitCode === null && rig.agent.signalCode === null) rig.agent.kill('SIGKILL');
      }
      await writes.detach();
      await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
      await closeRedis(probe);
      await redis.kill('SIGTERM');
      await started.vllm?.stop();
      await started.ollama?.stop();
      await batches.stop();
      await started.docker?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  openRigs.add(rig);
  return rig;
}

/** Removes the sandbox containers owned by those of `pids` whose process is gone. */
function removeContainersOfDead(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 0);
      continue;
    } catch {
      // gone: its containers are orphans
    }
    const left = gavelContainers(pid);
    if (left.length > 0) execFileSync('docker', ['rm', '-f', ...left], { stdio: 'ignore' });
  }
}

/** Failures by `stage/code: reason`, counted. */
export function failureReasons(failures: ReadonlyMap<string, SampleFailure>): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of failures.values()) {
    const key = `${f.stage}/${f.code}: ${f.reason.slice(0, 120)}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}
