import { InputError, jobIdFor, type RunManifest, silentLogger, TransientError } from '@gavel/core';
import { createFactsGrader, createJudgeStage, type Grader } from '@gavel/judge';
import { addStageJobs, createRedis, RunStore, type StageWorker, stageQueue, startStageWorker } from '@gavel/queue';
import { createRubricCache } from '@gavel/rubric';
import { createSandboxStage } from '@gavel/sandbox';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gavel } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { manifest, textCase, textRubric } from './judge-fixtures.ts';

let redis: RedisServer;
let client: Redis;
let workerConnection: Redis;
const workers: StageWorker[] = [];
const queues: Queue[] = [];

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = createRedis(redis.url, { role: 'client' });
  workerConnection = createRedis(redis.url, { role: 'worker' });
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

afterAll(async () => {
  client.disconnect();
  workerConnection.disconnect();
  await redis.stop();
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The facts grader, except that the listed samples fail as bad input (`Infinity`: every time; as
 * a transient error when `transient`), and a grading after those failures first awaits `hold`
 * (when given).
 */
function scriptedGrader(
  failures: Map<string, number>,
  hold?: { reached(): void; released: Promise<void> },
  transient = false,
): Grader {
  const facts = createFactsGrader();
  return {
    name: 'facts',
    async grade(input, signal) {
      const left = failures.get(input.sample.id) ?? 0;
      if (left > 0) {
        failures.set(input.sample.id, left - 1);
        if (transient) throw new TransientError(`sample ${input.sample.id}: scripted outage`);
        throw new InputError(`sample ${input.sample.id}: scripted bad input`);
      }
      if (hold && failures.has(input.sample.id)) {
        hold.reached();
        await hold.released;
      }
      return facts.grade(input, signal);
    },
    async close() {},
  };
}

/** A sandbox and a judge worker (facts-only run) on their own prefixes, with `failures` scripted. */
async function pipeline(
  name: string,
  failures: Map<string, number>,
  sampleCount: number,
  hold?: Parameters<typeof scriptedGrader>[1],
  options: { attempts?: number; transient?: boolean } = {},
) {
  const rubric = await textRubric();
  const run: RunManifest = { ...manifest(rubric, { mode: 'facts' }), run_id: name };
  const store = new RunStore(client, name);
  const context = { connection: client, prefix: `{${name}}`, attempts: options.attempts };
  const sandbox = stageQueue('sandbox', context);
  const judge = stageQueue('judge', context);
  const arbiterSubmit = stageQueue('arbiter-submit', context);
  queues.push(sandbox, judge, arbiterSubmit);
  await store.createRun(run);
  await store.putRubricText(rubric.ref, rubric.text);
  const cases = Array.from({ length: sampleCount }, (_, i) => textCase(i, true));
  await store.putSamples(
    run.run_id,
    cases.map((c) => c.sample),
  );
  const workerContext = { ...context, connection: workerConnection };
  workers.push(
    startStageWorker({
      stage: 'sandbox',
      queue: workerContext,
      store,
      concurrency: 4,
      processor: createSandboxStage({ judge }),
      logger: silentLogger,
    }),
    startStageWorker({
      stage: 'judge',
      queue: workerContext,
      store,
      concurrency: 4,
      processor: createJudgeStage({
        grader: createFactsGrader(),
        factsGrader: scriptedGrader(failures, hold, options.transient),
        rubrics: createRubricCache((ref) => store.getRubricText(ref)),
        arbiterSubmit,
      }),
      logger: silentLogger,
    }),
  );
  await addStageJobs(
    sandbox,
    cases.map((c) => ({ runId: run.run_id, sampleId: c.sample.id })),
  );
  const env = { GAVEL_REDIS_URL: redis.url, GAVEL_QUEUE_PREFIX: `{${name}}`, GAVEL_STORE_PREFIX: name };
  return { store, sandbox, judge, runId: run.run_id, env };
}

/** Exactly one of verdict and failure per sample. */
async function decisions(store: RunStore, runId: string, ids: readonly string[]) {
  const failures = await store.getFailures(runId);
  const out: Record<string, 'verdict' | 'failure' | 'both' | 'none'> = {};
  for (const id of ids) {
    const verdict = (await store.getFinalVerdict(runId, id)) !== undefined;
    const failure = failures.has(id);
    out[id] = verdict && failure ? 'both' : verdict ? 'verdict' : failure ? 'failure' : 'none';
  }
  return out;
}

describe('retrying a stage never strands a sample that failed downstream', () => {
  it('retrying a completed sandbox job after the judge failed the sample re-runs the failed judge job', async () => {
    // s-1 fails at the judge once (then grades), s-2 fails at the judge every time.
    const { store, sandbox, judge, runId, env } = await pipeline(
      'retry-completed',
      new Map([
        ['s-1', 1],
        ['s-2', Number.POSITIVE_INFINITY],
      ]),
      3,
    );
    await until(async () => (await store.progress(runId)).ended === 3, 'the first pass to end');
    expect(await decisions(store, runId, ['s-0', 's-1', 's-2'])).toEqual({
      's-0': 'verdict',
      's-1': 'failure',
      's-2': 'failure',
    });
    expect(await judge.getJobState(jobIdFor(runId, 's-1'))).toBe('failed');

    // What Bull Board's "retry" on a completed job does.
    const retriedAt = Date.now();
    for (const id of ['s-1', 's-2']) {
      const job = await sandbox.getJob(jobIdFor(runId, id));
      expect(await job?.getState()).toBe('completed');
      await job?.retry('completed');
    }
    const finishedSince = async (queue: Queue, id: string, state: string) => {
      const job = await queue.getJob(jobIdFor(runId, id));
      return (await job?.getState()) === state && (job?.finishedOn ?? 0) >= retriedAt;
    };
    await until(
      async () =>
        (await finishedSince(sandbox, 's-1', 'completed')) &&
        (await finishedSince(sandbox, 's-2', 'completed')) &&
        (await finishedSince(judge, 's-1', 'completed')) &&
        (await finishedSince(judge, 's-2', 'failed')),
      'the retried sandbox jobs and the judge jobs they hand on to',
    );
    const waited = await gavel(['wait', runId, '--timeout', '30'], env, 60_000);
    expect(waited.code, waited.stderr).toBe(0);
    expect(await decisions(store, runId, ['s-0', 's-1', 's-2'])).toEqual({
      's-0': 'verdict',
      's-1': 'verdict',
      's-2': 'failure',
    });
    expect((await store.getFailures(runId)).get('s-2')).toMatchObject({ stage: 'judge', code: 'input' });
  });

  it('a re-run of the sandbox job (as after a stall) keeps the failure the judge recorded', async () => {
    const { store, sandbox, judge, runId, env } = await pipeline('rerun-sandbox', new Map([['s-0', Infinity]]), 1);
    await until(async () => (await store.progress(runId)).ended === 1, 'the sample to fail at the judge');
    // The sandbox processor runs again for the same sample: a new job of the same stage and id.
    await (await sandbox.getJob(jobIdFor(runId, 's-0')))?.remove();
    await addStageJobs(sandbox, [{ runId, sampleId: 's-0' }]);
    await until(async () => (await sandbox.getJobState(jobIdFor(runId, 's-0'))) === 'completed', 'the re-run');
    // The failed judge job that held the next job's id runs again (and fails again: bad input).
    await until(async () => {
      const job = await judge.getJob(jobIdFor(runId, 's-0'));
      return (job?.attemptsStarted ?? 0) >= 2 && (await job?.getState()) === 'failed';
    }, 'the failed judge job to run again');
    const waited = await gavel(['wait', runId, '--timeout', '30'], env, 60_000);
    expect(waited.code, waited.stderr).toBe(0);
    expect(await decisions(store, runId, ['s-0'])).toEqual({ 's-0': 'failure' });
  });

  it('a failed judge job retried from Bull Board clears its own failure when it runs and grades the sample', async () => {
    const { store, judge, runId, env } = await pipeline('retry-failed', new Map([['s-0', 1]]), 1);
    await until(async () => (await store.progress(runId)).failed === 1, 'the sample to fail at the judge');
    await (await judge.getJob(jobIdFor(runId, 's-0')))?.retry('failed');
    const waited = await gavel(['wait', runId, '--timeout', '30'], env, 60_000);
    expect(waited.code, waited.stderr).toBe(0);
    expect(await decisions(store, runId, ['s-0'])).toEqual({ 's-0': 'verdict' });
  });

  it('the failure of a retried job is cleared while that job runs again, and only by it', async () => {
    let reached = false;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { store, judge, runId } = await pipeline('retry-clears', new Map([['s-0', 1]]), 1, {
      reached: () => {
        reached = true;
      },
      released,
    });
    await until(async () => (await store.progress(runId)).failed === 1, 'the sample to fail at the judge');
    // Another stage's job for the sample, or a write of another job id, leaves the failure alone.
    expect(await store.clearFailureOfJob(runId, 's-0', 'sandbox', jobIdFor(runId, 's-0'))).toBe(false);
    expect(await store.clearFailureOfJob(runId, 's-0', 'judge', `${jobIdFor(runId, 's-0')}~a1`)).toBe(false);
    expect((await store.getFailures(runId)).has('s-0')).toBe(true);
    await (await judge.getJob(jobIdFor(runId, 's-0')))?.retry('failed');
    try {
      await until(async () => reached, 'the retried judge job to run');
      // Running again: no longer failed (gavel wait waits for it), not yet decided.
      expect((await store.getFailures(runId)).has('s-0')).toBe(false);
      expect((await store.progress(runId)).ended).toBe(0);
    } finally {
      release();
    }
    await until(async () => (await store.progress(runId)).verdicts === 1, 'the verdict');
  });
  it('gavel retry gives a job that ran out of attempts (an outage) its attempts again, not one try', async () => {
    // Two attempts per job; s-0's grading fails transiently three times, then grades.
    const { store, runId, env } = await pipeline('retry-attempts', new Map([['s-0', 3]]), 1, undefined, {
      attempts: 2,
      transient: true,
    });
    await until(async () => (await store.progress(runId)).failed === 1, 'the sample to run out of attempts');
    expect((await store.getFailures(runId)).get('s-0')).toMatchObject({ stage: 'judge', code: 'transient_exhausted' });
    const retried = await gavel(['retry', runId], env);
    expect(retried.code, retried.stderr).toBe(0);
    // Its first try after the retry fails too (the outage's tail); the second grades it.
    const waited = await gavel(['wait', runId, '--timeout', '60'], env, 90_000);
    expect(waited.code, waited.stderr).toBe(0);
    expect(await decisions(store, runId, ['s-0'])).toEqual({ 's-0': 'verdict' });
  });

  it('a sample whose facts and verdict were lost (a failover) is re-run by gavel reconcile to a verdict, its completed judge job still kept', async () => {
    const { store, judge, runId, env } = await pipeline('lost-state', new Map(), 3);
    await until(async () => (await store.progress(runId)).verdicts === 3, 'the run to finish');
    // What a promoted replica that missed the last writes holds: s-1 with neither facts nor
    // judgement nor verdict, while its sandbox and judge jobs (other slots) stay completed.
    await client.hdel(store.key(runId, 'facts'), 's-1');
    await client.hdel(store.key(runId, 'judgements'), 's-1');
    await client.hdel(store.key(runId, 'verdicts'), 's-1');
    expect(await judge.getJobState(jobIdFor(runId, 's-1'))).toBe('completed');
    const reconciled = await gavel(['reconcile', runId, '--json'], env);
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(JSON.parse(reconciled.stdout)).toMatchObject({ restored: { sandbox: 1 } });
    // One reconcile is enough: the sandbox re-run hands s-1 on to the judge although the judge's
    // completed job still holds its id.
    await until(async () => (await store.getFinalVerdict(runId, 's-1')) !== undefined, "s-1's new verdict");
    expect(await decisions(store, runId, ['s-0', 's-1', 's-2'])).toEqual({
      's-0': 'verdict',
      's-1': 'verdict',
      's-2': 'verdict',
    });
  });
});
