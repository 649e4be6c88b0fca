import { randomUUID } from 'node:crypto';
import type { Logger, SampleJob } from '@gavel/core';
import { GpuLease, gatedProcessor, type LeaseRecord, startJudgeGate } from '@gavel/gpu-lease';
import { addStageJobs, RunStore, stageQueue, startStageWorker } from '@gavel/queue';
import { createLogger } from '@gavel/telemetry';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GpuRig, ollamaChat, startGpuRig, startInProcessAgent, waitFor } from './gpu-fixtures.ts';

let rig: GpuRig;
const logger: Logger = createLogger({ name: 'gpu-test', level: 'warn', pretty: false });

beforeAll(async () => {
  rig = await startGpuRig();
});

afterAll(async () => {
  await rig.close();
});

interface Ran {
  sampleId: string;
  /** The lease read from Redis when the job began its GPU work, and when it finished. */
  before: LeaseRecord | undefined;
  after: LeaseRecord | undefined;
  vllmHealth: number;
}

describe('judge gate', () => {
  it('never runs judge jobs while Ollama owns the card (or nobody does), and runs them all once vLLM does', async () => {
    const prefix = `j${randomUUID().slice(0, 8)}`;
    const queuePrefix = `{${prefix}}`;
    const client = new Redis(rig.redis.url, { maxRetriesPerRequest: null });
    const workerConnection = new Redis(rig.redis.url, { maxRetriesPerRequest: null });
    const subscriber = new Redis(rig.redis.url, { maxRetriesPerRequest: null });
    const lease = new GpuLease({ redis: client, prefix, gpuId: '0', ttlMs: 2_000 });
    const { gate, close: closeGate } = await startJudgeGate({
      redis: client,
      subscriber,
      prefix,
      gpuId: '0',
      pollMs: 100,
    });
    const ran: Ran[] = [];
    const vllmUrl = `http://127.0.0.1:${rig.vllmPort}`;

    // The judge worker as apps/worker-judge should wire it: paused while the gate is closed, and
    // every job waits at its start for vLLM to own the card.
    const judge = startStageWorker({
      stage: 'judge',
      queue: { connection: workerConnection, prefix: queuePrefix },
      store: new RunStore(client, prefix),
      concurrency: 4,
      logger,
      processor: gatedProcessor(gate, async (job: SampleJob, ctx) => {
        const before = await lease.current();
        const health = await fetch(`${vllmUrl}/health`, { signal: ctx.signal });
        await new Promise((r) => setTimeout(r, 30));
        ran.push({ sampleId: job.sampleId, before, after: await lease.current(), vllmHealth: health.status });
      }),
    });
    const detach = gate.attach(judge.worker);
    const jobs = (n: number, tag: string): SampleJob[] =>
      Array.from({ length: n }, (_, i) => ({ runId: 'gate', sampleId: `${tag}${i}` }));

    const agentRef: { stop?: () => Promise<void> } = {};
    try {
      // Nobody holds the card: the worker is paused and jobs wait.
      await waitFor('the worker to pause', () => judge.worker.isPaused());
      await addStageJobs(stageQueue('judge', { connection: client, prefix: queuePrefix }), jobs(6, 'a'));
      await new Promise((r) => setTimeout(r, 800));
      expect(ran).toEqual([]);

      // The agent hands the card over (vLLM starts slowly); jobs run only once it is ready.
      const agent = await startInProcessAgent(
        rig,
        logger,
        { GAVEL_QUEUE_PREFIX: queuePrefix, GAVEL_GPU_HANDOVER_RETRY_S: '1', GAVEL_GPU_UNLOAD_TIMEOUT_S: '1' },
        '--start-delay-ms 700',
        prefix,
      );
      agentRef.stop = () => agent.stop();
      await waitFor('the first six jobs', () => ran.length === 6);
      const vllmGrant = agent.results.find((r) => r.to === 'vllm' && r.outcome === 'ok')?.grant;
      expect(vllmGrant?.owner).toBe('vllm');

      // Drained: after the idle time the card goes back to Ollama and the worker pauses again.
      await waitFor('the card back with Ollama', async () => (await lease.current())?.owner === 'ollama');
      await waitFor('the worker to pause', () => judge.worker.isPaused());

      // Ollama refuses to unload: the next handover fails, the card stays with Ollama while jobs wait.
      await ollamaChat(rig.ollama.url, 'rubric-writer');
      rig.ollama.setRefuseUnload(true);
      await addStageJobs(agent.queue, jobs(3, 'b'));
      await waitFor('a failed handover', () => agent.results.some((r) => r.to === 'vllm' && r.outcome === 'failed'));
      expect((await lease.current())?.owner).toBe('ollama');
      expect(ran).toHaveLength(6);
      // A job the worker fetched just before it paused is held at waitForOwner, not run.
      const counts = await agent.queue.getJobCounts('waiting', 'active', 'completed');
      expect((counts.waiting ?? 0) + (counts.active ?? 0)).toBe(3);
      expect(counts.completed).toBe(6);
      rig.ollama.setRefuseUnload(false);

      // The retry succeeds and the waiting jobs run under vLLM.
      await waitFor('all nine jobs', () => ran.length === 9);
      for (const r of ran) {
        expect(r.before).toMatchObject({ owner: 'vllm', phase: 'ready' });
        expect(r.after).toMatchObject({ owner: 'vllm', phase: 'ready' });
        expect(r.vllmHealth).toBe(200);
      }
      const tokens = [...new Set(ran.map((r) => r.before?.token))];
      process.stdout.write(
        `\njudge gate: ${ran.length} jobs ran, all under owner vllm/ready (tokens ${tokens.join(', ')}); handovers: ${agent.results.map((r) => `${r.from}→${r.to} ${r.outcome}`).join(', ')}\n`,
      );
      expect(tokens.length).toBe(2);
    } finally {
      rig.ollama.setRefuseUnload(false);
      detach();
      await judge.close(5_000);
      await agentRef.stop?.();
      await closeGate();
      client.disconnect();
      workerConnection.disconnect();
      subscriber.disconnect();
    }
  });
});
