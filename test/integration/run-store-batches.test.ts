import { runKey, Verdict } from '@gavel/core';
import { createRedis, RunStore } from '@gavel/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verdict as recordVerdict } from '../../packages/report/src/test-records.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { textCase } from './judge-fixtures.ts';

let redis: RedisServer;
let client: Redis;
let admin: Redis;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = createRedis(redis.url, { role: 'client' });
  admin = createRedis(redis.url, { role: 'client' });
});

afterAll(async () => {
  client.disconnect();
  admin.disconnect();
  await redis.stop();
});

/** Scripts Redis ran while `work` ran (its own count, INFO commandstats). */
async function scriptsRunBy(work: () => Promise<unknown>): Promise<number> {
  const calls = async (): Promise<number> => {
    const info = await admin.info('commandstats');
    const count = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
    return count('evalsha') + count('eval');
  };
  const before = await calls();
  await work();
  return (await calls()) - before;
}

const verdict = (score: number, over: Partial<Verdict> = {}): Verdict =>
  Verdict.parse(recordVerdict(score >= 0.6, score, over));

describe("the run store reads and writes the samples of one turn's jobs in one script per run", () => {
  it('loads the samples asked for in one turn in one script, each caller its own; a missing sample fails only its caller', async () => {
    const store = new RunStore(client, 'batch1');
    const cases = [0, 1, 2].map((i) => textCase(i, i !== 1));
    await store.putSamples(
      'run-a',
      cases.map((c) => c.sample),
    );
    await store.putFacts('run-a', 's-1', cases[1]?.facts as never);
    await store.putSamples('run-b', [textCase(7, true).sample]);
    // Warm the script cache so each script below is one EVALSHA.
    await store.loadForStage('run-a', 's-0');

    let settled: PromiseSettledResult<Awaited<ReturnType<RunStore['loadForStage']>>>[] = [];
    const scripts = await scriptsRunBy(async () => {
      settled = await Promise.allSettled([
        store.loadForStage('run-a', 's-0'),
        store.loadForStage('run-a', 's-1'),
        store.loadForStage('run-b', 's-7'),
        store.loadForStage('run-a', 's-9'),
        store.loadForStage('run-a', 's-2'),
      ]);
    });
    // One script for run-a's four samples, one for run-b's.
    expect(scripts).toBe(2);
    const [s0, s1, s7, s9, s2] = settled;
    expect(s0).toMatchObject({ status: 'fulfilled', value: { sample: cases[0]?.sample, facts: undefined } });
    expect(s1).toMatchObject({ status: 'fulfilled', value: { sample: cases[1]?.sample, facts: cases[1]?.facts } });
    expect(s7).toMatchObject({ status: 'fulfilled', value: { sample: textCase(7, true).sample } });
    expect(s9).toMatchObject({
      status: 'rejected',
      reason: { message: 'run run-a: sample s-9 is not in the run store' },
    });
    expect(s2).toMatchObject({ status: 'fulfilled', value: { sample: cases[2]?.sample } });
  });

  it('writes the facts of one turn in one script: the first write of each sample wins, also within the turn', async () => {
    const store = new RunStore(client, 'batch2');
    const right = textCase(0, true).facts;
    const wrong = textCase(0, false).facts;
    await store.putFacts('run-f', 's-9', right);
    let firsts: boolean[] = [];
    const scripts = await scriptsRunBy(async () => {
      firsts = await Promise.all([
        store.putFacts('run-f', 's-0', right),
        store.putFacts('run-f', 's-1', wrong),
        store.putFacts('run-f', 's-0', wrong),
        store.putFacts('run-f', 's-9', wrong),
      ]);
    });
    expect(scripts).toBe(1);
    expect(firsts).toEqual([true, true, false, false]);
    const stored = (id: string) => client.hget(runKey('batch2', 'run-f', 'facts'), id);
    expect(JSON.parse((await stored('s-0')) as string)).toEqual(right);
    expect(JSON.parse((await stored('s-1')) as string)).toEqual(wrong);
    expect(JSON.parse((await stored('s-9')) as string)).toEqual(right);
  });

  it("splits a turn's facts into scripts of at most about 1 MB of JSON each", async () => {
    const store = new RunStore(client, 'batch2b');
    // Each document is a little over 400,000 characters: two fit in one script, a third does not.
    const big = (i: number) => ({ ...textCase(i, true).facts, fabricated_claim: [`${i}`.repeat(400_000)] });
    await store.putFacts('run-g', 's-warm', textCase(9, true).facts);
    const scripts = await scriptsRunBy(() =>
      Promise.all([0, 1, 2].map((i) => store.putFacts('run-g', `s-${i}`, big(i) as never))),
    );
    expect(scripts).toBe(2);
    for (const i of [0, 1, 2]) {
      const stored = await client.hget(runKey('batch2b', 'run-g', 'facts'), `s-${i}`);
      expect(JSON.parse(stored as string)).toEqual(big(i));
    }
  });

  it('writes the verdicts of one turn in one script, each sample its own step: judgement, failure dropped, arbitrated counted', async () => {
    const store = new RunStore(client, 'batch3');
    const hash = (part: string, id: string) => client.hget(runKey('batch3', 'run-v', part), id);
    await store.recordFailure('run-v', 's-1', {
      stage: 'judge',
      code: 'transient_exhausted',
      reason: 'judge server down',
      at: '2026-12-01T18:00:00.000Z',
    });
    const final = verdict(1);
    const routed = verdict(0.5, { route: 'arbiter', route_reasons: ['near_threshold'] });
    const arbitrated = verdict(0.9, { source: 'arbiter', arbitration: 'done' });
    const late = verdict(0);
    await store.putFinalVerdict('run-v', 's-3', final);
    let written: boolean[] = [];
    const scripts = await scriptsRunBy(async () => {
      written = await Promise.all([
        store.putFinalVerdict('run-v', 's-0', final, final),
        store.putFinalVerdict('run-v', 's-1', arbitrated, routed),
        store.putFinalVerdict('run-v', 's-0', late, late),
        store.putFinalVerdict('run-v', 's-3', late),
      ]);
    });
    expect(scripts).toBe(1);
    expect(written).toEqual([true, true, false, false]);
    expect(await hash('verdicts', 's-0')).toBe(JSON.stringify(final));
    expect(await hash('judgements', 's-0')).toBe(JSON.stringify(final));
    expect(await hash('verdicts', 's-1')).toBe(JSON.stringify(arbitrated));
    expect(await hash('judgements', 's-1')).toBe(JSON.stringify(routed));
    expect(await hash('failures', 's-1')).toBeNull();
    expect(await hash('verdicts', 's-3')).toBe(JSON.stringify(final));
    expect(await hash('judgements', 's-3')).toBeNull();
    expect(await client.smembers(runKey('batch3', 'run-v', 'arbitrated'))).toEqual(['s-1']);
  });

  it('a script Redis refuses (OOM) fails each of its callers, writes nothing, and its error does not carry the batch', async () => {
    const store = new RunStore(client, 'batch4');
    const facts = textCase(0, true).facts;
    await store.putFacts('run-oom', 's-warm', facts);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    let settled: PromiseSettledResult<boolean>[] = [];
    try {
      settled = await Promise.allSettled([0, 1, 2].map((i) => store.putFacts('run-oom', `s-${i}`, facts)));
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const reason = (settled[0] as PromiseRejectedResult).reason as Error & { command?: { args?: unknown } };
    expect(reason.message).toMatch(/OOM/);
    // ioredis attached the command with every sample's facts JSON; each job logs its error.
    expect(JSON.stringify(reason.command ?? {})).not.toContain('s-1');
    expect(await client.hlen(runKey('batch4', 'run-oom', 'facts'))).toBe(1);
  });
});
