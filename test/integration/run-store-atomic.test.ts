import { runKey, type Sample, Verdict } from '@gavel/core';
import { createRedis, enqueueRun, RunStore, stageQueue } from '@gavel/queue';
import { createRubricCache, parseRubric } from '@gavel/rubric';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verdict as recordVerdict } from '../../packages/report/src/test-records.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { factsRunManifest, textCase, textRubric } from './judge-fixtures.ts';

let redis: RedisServer;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = createRedis(redis.url, { role: 'client' });
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

function samples(n: number): Sample[] {
  return Array.from({ length: n }, (_, i) => textCase(i, true).sample);
}

describe('the run store writes what belongs together in one step', () => {
  it('puts a sample a crashed producer stored (HSETNX done, RPUSH not) into the order on the next enqueue', async () => {
    const rubric = await textRubric();
    const store = new RunStore(client, 'atomic1');
    const sandbox = stageQueue('sandbox', { connection: client, prefix: '{atomic1}' });
    const manifest = factsRunManifest('run-crashed-producer', rubric, 4);
    const all = samples(4);
    // What the old producer left when it died between its two round trips: s-0 and s-1 fully
    // enqueued, s-2 stored (HSETNX) but never pushed onto the order list, s-3 never reached.
    await store.createRun(manifest);
    await client.hset(runKey('atomic1', 'run-crashed-producer', 'samples'), 's-0', JSON.stringify(all[0]));
    await client.hset(runKey('atomic1', 'run-crashed-producer', 'samples'), 's-1', JSON.stringify(all[1]));
    await client.rpush(runKey('atomic1', 'run-crashed-producer', 'order'), 's-0', 's-1');
    await client.hset(runKey('atomic1', 'run-crashed-producer', 'samples'), 's-2', JSON.stringify(all[2]));

    await enqueueRun({ store, sandbox, manifest, samples: all, rubrics: [rubric] });
    expect(await store.sampleIds('run-crashed-producer')).toEqual(['s-0', 's-1', 's-2', 's-3']);
    const page = await store.exportPage('run-crashed-producer', await store.sampleIds('run-crashed-producer'));
    expect(page.map((r) => r.id)).toEqual(['s-0', 's-1', 's-2', 's-3']);
    // Enqueuing once more changes nothing.
    await enqueueRun({ store, sandbox, manifest, samples: all, rubrics: [rubric] });
    expect(await store.sampleIds('run-crashed-producer')).toEqual(['s-0', 's-1', 's-2', 's-3']);
    await sandbox.close();
  });

  it('lists a run whose manifest a crashed producer wrote but never indexed, once it is enqueued again', async () => {
    const rubric = await textRubric();
    const store = new RunStore(client, 'atomic2');
    const sandbox = stageQueue('sandbox', { connection: client, prefix: '{atomic2}' });
    const manifest = factsRunManifest('run-unlisted', rubric, 2);
    // The old createRun's first round trip (SET NX) without its second (ZADD).
    await client.set(runKey('atomic2', 'run-unlisted', 'manifest'), JSON.stringify(manifest), 'NX');
    expect(await store.listRuns()).toEqual([]);
    const result = await enqueueRun({ store, sandbox, manifest, samples: samples(2), rubrics: [rubric] });
    expect(result.existed).toBe(true);
    expect(await store.listRuns()).toEqual(['run-unlisted']);
    await sandbox.close();
  });

  it('keys rubric texts by hash: two libraries with different bytes for the same id@version do not block each other', async () => {
    const original = await textRubric();
    const edited = parseRubric(`${original.text}\nOne more sentence of guidance.\n`, 'edited library');
    expect(edited.ref.id).toBe(original.ref.id);
    expect(edited.ref.version).toBe(original.ref.version);
    expect(edited.ref.hash).not.toBe(original.ref.hash);
    const store = new RunStore(client, 'atomic3');
    const sandbox = stageQueue('sandbox', { connection: client, prefix: '{atomic3}' });
    await enqueueRun({
      store,
      sandbox,
      manifest: factsRunManifest('run-library-a', original, 1),
      samples: samples(1),
      rubrics: [original],
    });
    await enqueueRun({
      store,
      sandbox,
      manifest: {
        ...factsRunManifest('run-library-b', edited, 1),
        dataset: { ...factsRunManifest('x', edited, 1).dataset },
      },
      samples: samples(1),
      rubrics: [edited],
    });
    // A judge worker (any process, its own cache) reads each run's pinned bytes.
    const judgeA = createRubricCache((ref) => store.getRubricText(ref));
    const judgeB = createRubricCache((ref) => store.getRubricText(ref));
    expect((await judgeA.get(original.ref)).text).toBe(original.text);
    expect((await judgeB.get(edited.ref)).text).toBe(edited.text);
    await sandbox.close();
  });
  it('records a final verdict and the judgement it is (or another one) in one step, once', async () => {
    const store = new RunStore(client, 'atomic4');
    const verdict = (score: number): Verdict => Verdict.parse(recordVerdict(score >= 0.6, score));
    const hash = (part: string, id: string) => client.hget(runKey('atomic4', 'run-verdicts', part), id);
    const one = verdict(1);
    // The judgement is the verdict itself (a final route): both hashes hold its JSON.
    expect(await store.putFinalVerdict('run-verdicts', 's-0', one, one)).toBe(true);
    expect(await hash('verdicts', 's-0')).toBe(JSON.stringify(one));
    expect(await hash('judgements', 's-0')).toBe(JSON.stringify(one));
    // A second writer changes neither.
    const other = verdict(0.5);
    expect(await store.putFinalVerdict('run-verdicts', 's-0', other, other)).toBe(false);
    expect(await hash('verdicts', 's-0')).toBe(JSON.stringify(one));
    expect(await hash('judgements', 's-0')).toBe(JSON.stringify(one));
    // A verdict with another judgement (an unarbitrated one from a routed judgement) keeps each.
    expect(await store.putFinalVerdict('run-verdicts', 's-1', one, other)).toBe(true);
    expect(await hash('verdicts', 's-1')).toBe(JSON.stringify(one));
    expect(await hash('judgements', 's-1')).toBe(JSON.stringify(other));
    // Without a judgement, only the verdict is written.
    expect(await store.putFinalVerdict('run-verdicts', 's-2', one)).toBe(true);
    expect(await hash('judgements', 's-2')).toBeNull();
  });
});
