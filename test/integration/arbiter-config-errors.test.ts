import { addStageJobs, createRedis } from '@gavel/queue';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { until } from './arbiter-fixtures.ts';
import { type ArbiterRig, startArbiterRig } from './arbiter-harness.ts';

let redis: RedisServer;
let client: Redis;
let worker: Redis;
let rig: ArbiterRig | undefined;

beforeAll(async () => {
  redis = await startRedis();
  client = createRedis(redis.url, { role: 'client' });
  worker = createRedis(redis.url, { role: 'worker' });
});
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});
afterAll(async () => {
  client.disconnect();
  worker.disconnect();
  await redis.stop();
});

/** Enqueues the routed samples and waits until the workers stop for a config error, or a sample fails. */
async function runUntilStopped(r: ArbiterRig, runId: string) {
  await addStageJobs(
    r.submitQueue,
    r.routed.map((sampleId) => ({ runId, sampleId })),
  );
  await until(
    async () => r.configErrors.length > 0 || (await r.store.getFailures(runId)).size > 0,
    'a config error or a failed sample',
    30_000,
  );
  await r.stopWorkers();
}

describe('configuration mistakes stop the arbiter worker with the jobs returned, never fail samples', () => {
  for (const [what, options, pattern] of [
    [
      'a key without permission (403 permission_error)',
      { fake: { forbiddenKeys: ['sk-ant-no-permission'] }, env: { GAVEL_ARBITER_API_KEY: 'sk-ant-no-permission' } },
      /HTTP 403/,
    ],
    [
      'an unknown key (401 authentication_error)',
      { env: { GAVEL_ARBITER_API_KEY: 'sk-ant-revoked' } },
      /HTTP 401: check GAVEL_ARBITER_API_KEY/,
    ],
    [
      'a worker whose arbiter model is not the one the run pinned',
      { pinnedModel: 'claude-opus-4-6' },
      /pinned arbiter model claude-opus-4-6.*GAVEL_ARBITER_MODEL=claude-opus-4-6/,
    ],
  ] as const) {
    const n = what.length;
    it(`${what}: a ConfigError, every sample's job back in the queue, none failed`, async () => {
      const runId = `run-cfg-${n}`;
      rig = await startArbiterRig({ client, worker }, `cfg-${n}`, runId, options);
      await runUntilStopped(rig, runId);
      expect(rig.configErrors.length).toBeGreaterThanOrEqual(1);
      expect(rig.configErrors[0]?.message).toMatch(pattern);
      // The key never reaches the message.
      expect(rig.configErrors[0]?.message).not.toMatch(/sk-ant-/);
      expect((await rig.store.getFailures(runId)).size).toBe(0);
      const counts = await rig.submitQueue.getJobCounts('failed', 'completed', 'waiting', 'delayed', 'prioritized');
      expect(counts.failed).toBe(0);
      expect(counts.completed).toBe(0);
      expect((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0)).toBe(rig.routed.length);
      expect(rig.fake.counts.creates).toBe(0);
    });
  }
});

describe('a collect worker configured otherwise than the run pinned stops, the samples unharmed', () => {
  for (const [what, collectEnv, pattern] of [
    [
      'another arbiter model',
      { GAVEL_ARBITER_MODEL: 'claude-opus-4-6' },
      /pinned arbiter model claude-sonnet-4-6.*GAVEL_ARBITER_MODEL=claude-sonnet-4-6/,
    ],
    ['no arbiter at all (GAVEL_ARBITER=none)', { GAVEL_ARBITER: 'none' }, /pinned GAVEL_ARBITER=anthropic-batch/],
  ] as const) {
    const n = what.length;
    it(`${what}: a ConfigError, every collect job back in the queue, no sample failed or decided`, async () => {
      const runId = `run-collect-cfg-${n}`;
      rig = await startArbiterRig({ client, worker }, `collect-cfg-${n}`, runId, { collectEnv });
      const r = rig;
      await addStageJobs(
        r.submitQueue,
        r.routed.map((sampleId) => ({ runId, sampleId })),
      );
      // Every routed sample sent (its submit job done, its collect job added), and the collect
      // worker stopped — or, before the fix, samples failing or decided by the wrong worker.
      await until(
        async () =>
          ((await r.submitQueue.getJobCounts('completed')).completed === r.routed.length &&
            r.configErrors.length > 0) ||
          (await r.store.getFailures(runId)).size > 0 ||
          (await r.store.progress(runId)).ended === 12,
        'the collect worker to stop, or a sample to end',
        30_000,
      );
      await r.stopWorkers();
      expect(r.configErrors.length).toBeGreaterThanOrEqual(1);
      expect(r.configErrors[0]?.message).toMatch(pattern);
      expect((await r.store.getFailures(runId)).size).toBe(0);
      for (const sampleId of r.routed) expect(await r.store.getFinalVerdict(runId, sampleId)).toBeUndefined();
      const counts = await r.collectQueue.getJobCounts('failed', 'completed', 'waiting', 'delayed', 'prioritized');
      expect(counts.failed).toBe(0);
      expect(counts.completed).toBe(0);
      expect((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0)).toBe(r.routed.length);
    });
  }
});

describe('a batch the API refuses as too large (413)', () => {
  it('is sent in halves, recursively, and no sample fails for it', async () => {
    const runId = 'run-413';
    // Six requests of about 8 kB each: the whole batch and its halves are over 20 kB, pairs fit.
    rig = await startArbiterRig({ client, worker }, 'cfg-413', runId, { fake: { maxBodyBytes: 20_000 } });
    await addStageJobs(
      rig.submitQueue,
      rig.routed.map((sampleId) => ({ runId, sampleId })),
    );
    await until(async () => (await rig?.store.progress(runId))?.ended === 12, 'every sample to end', 30_000);
    expect(await rig.store.progress(runId)).toMatchObject({ verdicts: 12, failed: 0, arbitrated: 6 });
    const batches = [...rig.fake.batches.values()];
    expect(rig.fake.counts.rejected).toBeGreaterThanOrEqual(3);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    for (const b of batches)
      expect(Buffer.byteLength(JSON.stringify({ requests: b.requests }))).toBeLessThanOrEqual(20_000);
    const customIds = batches.flatMap((b) => b.requests.map((r) => r.custom_id));
    expect(customIds).toHaveLength(6);
    expect(new Set(customIds).size).toBe(6);
  });
});
