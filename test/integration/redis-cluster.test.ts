import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKey, STAGES, stageQueuePrefix } from '@gavel/core';
import { createRedis, RunStore } from '@gavel/queue';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../support/api-server.ts';
import { GAVEL_CLI, gavel, jsonl, ROOT, startWorkers, textSample } from '../support/gavel.ts';
import { freePort } from '../support/redis.ts';
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.ts';
import { startStageProcess } from '../support/stage-process.ts';

/**
 * The bounded form runs in `npm test`; GAVEL_TEST_CLUSTER_SAMPLES=2000 runs the full 2,000-sample
 * form (it prints its figures).
 */
const SAMPLES = Number(process.env.GAVEL_TEST_CLUSTER_SAMPLES ?? 300);

let cluster: RedisCluster;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  dir = await mkdtemp(join(tmpdir(), 'gavel-cluster-run-'));
  env = {
    GAVEL_REDIS_CLUSTER: cluster.seeds,
    GAVEL_REDIS_URL: undefined,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_CONCURRENCY: '16',
  };
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('gavel on a three-master Redis Cluster', () => {
  it('gavel doctor checks every node: reachable masters, cluster_state, noeviction, AOF', async () => {
    const doctor = await gavel(['doctor'], env);
    const lines = doctor.stdout.split('\n');
    expect(lines).toContain('ok   redis cluster: 3 master(s) and 0 replica(s) reachable');
    expect(lines).toContain('ok   redis cluster_state: ok on every node');
    expect(lines).toContain('ok   redis maxmemory-policy: noeviction on every node');
    expect(lines).toContain('ok   redis persistence: AOF on every node');
    // One node turned to an evicting policy and AOF off: both named, doctor fails.
    const node = cluster.nodes[1]?.port as number;
    const direct = createRedis(`redis://127.0.0.1:${node}`);
    await direct.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await direct.config('SET', 'appendonly', 'no');
    try {
      const bad = await gavel(['doctor'], env);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain(`FAIL redis maxmemory-policy: 127.0.0.1:${node}: allkeys-lru`);
      expect(bad.stdout).toContain(`FAIL redis persistence: AOF off on 127.0.0.1:${node}`);
    } finally {
      await direct.config('SET', 'maxmemory-policy', 'noeviction');
      await direct.config('SET', 'appendonly', 'yes');
      direct.disconnect();
    }
  }, 120_000);

  it(`runs ${SAMPLES} samples end to end, one verdict per sample, the stage queues on more than one master`, async () => {
    const runId = 'run-cluster';
    const file = join(dir, 'samples.jsonl');
    await writeFile(file, jsonl(Array.from({ length: SAMPLES }, (_, i) => textSample(i))));
    const started = Date.now();
    const enqueued = await gavel(['enqueue', file, '--run', runId], env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const workers = startWorkers(env);
    try {
      const done = await gavel(['wait', runId, '--timeout', '600'], env, 650_000);
      expect(done.code, `${done.stderr}\n${workers.output()}`).toBe(0);
    } finally {
      await workers.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    const status = await gavel(['status', runId, '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ run_id: runId });
    expect(status.stdout).toContain(`"verdicts":${SAMPLES}`);
    const exported = await gavel(['export', runId], env);
    expect(exported.code, exported.stderr).toBe(0);
    const records = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sample_id: string; verdict: { pass: boolean } | null });
    expect(records).toHaveLength(SAMPLES);
    expect(new Set(records.map((r) => r.sample_id)).size).toBe(SAMPLES);
    expect(records.filter((r) => r.verdict === null || r.verdict === undefined)).toEqual([]);

    const client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]?.port as number }]);
    try {
      const store = new RunStore(client);
      const progress = await store.progress(runId);
      expect(progress).toMatchObject({ total: SAMPLES, verdicts: SAMPLES, failed: 0 });
      expect(await client.hlen(runKey('gavel', runId, 'verdicts'))).toBe(SAMPLES);
      // The queues' hash tags put the stages on more than one master, not one hot slot.
      const owners = new Set<number>();
      for (const stage of STAGES) owners.add((await cluster.masterOf(`${stageQueuePrefix('gavel', stage)}:x`)).port);
      expect(owners.size).toBeGreaterThan(1);
    } finally {
      client.disconnect();
    }
    process.stdout.write(
      `${JSON.stringify({ figure: 'cluster_run', masters: 3, samples: SAMPLES, verdicts: SAMPLES, failed: 0, seconds: Number(seconds.toFixed(1)), samples_per_s: Number((SAMPLES / seconds).toFixed(1)) })}\n`,
    );
  }, 700_000);

  it('gavel serve on the cluster: healthz, a run submitted over HTTP and listed', async () => {
    const api = await startApi({ ...env, GAVEL_SANDBOX: 'none', GAVEL_JUDGE: 'facts' });
    try {
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
      const posted = await fetch(`${api.url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'gavel-run-id': 'run-over-http' },
        body: jsonl(Array.from({ length: 5 }, (_, i) => textSample(i))),
      });
      expect(posted.status, await posted.clone().text()).toBe(201);
      expect(await posted.json()).toMatchObject({ run_id: 'run-over-http', samples: 5, queued: 5 });
      const listed = await fetch(`${api.url}/v1/runs?limit=100`);
      expect(listed.status).toBe(200);
      expect(JSON.stringify(await listed.json())).toContain('run-over-http');
    } finally {
      await api.stop();
    }
  }, 120_000);

  it("Bull Board on the cluster lists every stage's queue with its counts (the HTTP run's 5 jobs waiting)", async () => {
    const child = spawn(process.execPath, [...GAVEL_CLI, 'board', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout?.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /\{"board":"([^"]+)"\}/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.stderr?.on('data', (c: Buffer) => {
          out += c.toString();
        });
        child.once('exit', (code) => reject(new Error(`board exited ${code}: ${out}`)));
      });
      const response = await fetch(new URL('api/queues', url));
      expect(response.status).toBe(200);
      const body = (await response.json()) as { queues: { name: string; counts: Record<string, number> }[] };
      expect(body.queues.map((q) => q.name).sort()).toEqual([...STAGES].sort());
      expect(body.queues.find((q) => q.name === 'sandbox')?.counts.waiting).toBe(5);
    } finally {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    }
  }, 120_000);

  it('a worker pointed at a cluster that does not answer stops with one line (exit 78)', async () => {
    const port = await freePort();
    const worker = startStageProcess('judge', { GAVEL_REDIS_CLUSTER: `127.0.0.1:${port}`, GAVEL_LOG_LEVEL: 'silent' });
    const exit = await worker.exited;
    expect(exit.code).toBe(78);
    expect(worker.stderr()).toContain(`cannot reach the Redis Cluster at 127.0.0.1:${port}`);
    expect(worker.stderr()).toContain('set GAVEL_REDIS_CLUSTER');
  }, 60_000);
});
