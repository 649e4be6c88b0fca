import { ArbiterStore, costReport } from '@gavel/arbiter';
import { addStageJobs, createRedis } from '@gavel/queue';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FAKE_ANSWER, forcedTool } from '../fakes/anthropic-messages-model.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { until } from './arbiter-fixtures.ts';
import { type ArbiterRig, startArbiterRig } from './arbiter-harness.ts';
import { textRubric } from './judge-fixtures.ts';

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

type Params = Parameters<typeof DEFAULT_FAKE_ANSWER>[0];

/** An emulator that answers pass, score and rationale but no criteria (as a tool input when a tool is forced, else as JSON text). */
const withoutCriteria = (params: Params): unknown => {
  const answer = { pass: true, score: 0.8, rationale: 'Looks right.' };
  return forcedTool(params) ? answer : JSON.stringify(answer);
};

describe('the arbiter answers through a forced tool whose input schema is the rubric', () => {
  it('sends every batch request and the priming call with the same verdict tool, one property per rubric criterion', async () => {
    const runId = 'run-tool-shape';
    rig = await startArbiterRig({ client, worker }, 'tool-shape', runId);
    await addStageJobs(
      rig.submitQueue,
      rig.routed.map((sampleId) => ({ runId, sampleId })),
    );
    await until(async () => (await rig?.store.progress(runId))?.ended === 12, 'every sample to end', 30_000);
    const rubric = await textRubric();
    const [batch] = [...rig.fake.batches.values()];
    for (const r of batch?.requests ?? []) {
      expect(r.params.tool_choice).toEqual({ type: 'tool', name: 'record_verdict' });
      const schema = r.params.tools?.[0]?.input_schema as unknown as {
        properties: { criteria: { required: string[] } };
      };
      expect(schema.properties.criteria.required).toEqual(rubric.criteria.map((c) => c.id));
      expect(r.params.tools).toEqual(batch?.requests[0]?.params.tools);
    }
    for (const sampleId of rig.routed) {
      const verdict = await rig.store.getFinalVerdict(runId, sampleId);
      expect(verdict?.criteria.map((c) => c.id)).toEqual(rubric.criteria.map((c) => c.id));
      expect(verdict?.arbiter?.path).toBe('anthropic-batch');
    }
    // The batch requests read the prefix the priming call (with the same tools) wrote.
    const batchUsages = rig.fake.usages.filter((u) => u.kind === 'batch').map((u) => u.usage);
    expect(batchUsages.every((u) => u.cache_read_input_tokens > 0 && u.cache_creation_input_tokens === 0)).toBe(true);
  });

  it('re-asks an answer without criteria once on its own instead of re-sending the whole batch', async () => {
    const runId = 'run-tool-reask';
    rig = await startArbiterRig({ client, worker }, 'tool-reask', runId, {
      // In the batch the emulator omits criteria; asked again on its own it answers in full.
      fake: {
        answer: (params, info) => (info.where === 'batch' ? withoutCriteria(params) : DEFAULT_FAKE_ANSWER(params)),
      },
    });
    await addStageJobs(
      rig.submitQueue,
      rig.routed.map((sampleId) => ({ runId, sampleId })),
    );
    await until(async () => (await rig?.store.progress(runId))?.ended === 12, 'every sample to end', 30_000);
    expect(await rig.store.progress(runId)).toMatchObject({ verdicts: 12, failed: 0, arbitrated: 6 });
    // One batch; one priming call and one re-ask per routed sample.
    expect(rig.fake.counts.creates).toBe(1);
    expect(rig.fake.counts.messages).toBe(1 + rig.routed.length);
    for (const sampleId of rig.routed) {
      expect((await rig.store.getFinalVerdict(runId, sampleId))?.arbiter?.path).toBe('anthropic-reask');
    }
    // Every paid request is booked: the batch's and the re-asks'.
    const ledger = [...(await new ArbiterStore(rig.store).ledger(runId)).values()];
    expect(ledger.filter((c) => c.kind === 'batch')).toHaveLength(6);
    expect(ledger.filter((c) => c.kind === 'sync')).toHaveLength(6);
    const report = await costReport(rig.store, runId);
    expect(report.total.output_tokens).toBe(rig.fake.usages.reduce((s, u) => s + u.usage.output_tokens, 0));
  });

  it('fails a sample whose re-asked answer still misses a field, after one re-ask and no second batch', async () => {
    const runId = 'run-tool-fail';
    rig = await startArbiterRig({ client, worker }, 'tool-fail', runId, { fake: { answer: withoutCriteria } });
    await addStageJobs(
      rig.submitQueue,
      rig.routed.map((sampleId) => ({ runId, sampleId })),
    );
    await until(async () => (await rig?.store.progress(runId))?.ended === 12, 'every sample to end', 30_000);
    expect(await rig.store.progress(runId)).toMatchObject({ verdicts: 6, failed: 6 });
    expect(rig.fake.counts.creates).toBe(1);
    expect(rig.fake.counts.messages).toBe(1 + rig.routed.length);
    for (const failure of (await rig.store.getFailures(runId)).values()) {
      expect(failure.reason).toMatch(
        /record_verdict input does not match the rubric's schema at criteria: .*asked again on its own/,
      );
    }
  });
});
