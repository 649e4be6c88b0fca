import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Completion, RunManifest } from '@gavel/core';
import { GENERATE_BATCH_NS, sutMessages } from '@gavel/generate';
import { BatchStore, RunStore, stageQueue } from '@gavel/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanEvalPolicy } from '../fakes/humaneval-sut-policy.ts';
import { type FakeSut, fakeTokens, generationKey, startFakeSut } from '../fakes/openai-sut-server.ts';
import { gavel } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { type StageProcess, startStageProcess } from '../support/stage-process.ts';
import { HUMANEVAL, humanEvalProblems } from './sandbox-fixtures.ts';

// Batch mode of the generate stage (`gavel enqueue --generate N --batch`) through the fake OpenAI
// Batch API, with a real Redis, the real CLI and the real generate worker process: errored,
// expired and failed-validation answers re-submitted until every sample has its completion,
// each generated once; a worker SIGKILLed between the batch create and its record adopts the
// batch instead of creating another; the budget guard priced at the batch share.

const problems = humanEvalProblems();
let redis: RedisServer;
let client: Redis;
let store: RunStore;
let prices: string;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  store = new RunStore(client);
  prices = join(await mkdtemp(join(tmpdir(), 'gavel-prices-')), 'prices.json');
  await writeFile(prices, JSON.stringify({ 'sut-model': { input_per_mtok: 2, output_per_mtok: 8 } }));
});

afterAll(async () => {
  client.disconnect();
  await redis?.stop();
});

function envFor(sut: FakeSut, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_SUT_URL: sut.url,
    GAVEL_SUT_MODEL: 'sut-model',
    GAVEL_PRICES_FILE: prices,
    GAVEL_METRICS_PORT: '0',
    GAVEL_LOCK_DURATION_MS: '2000',
    GAVEL_STALLED_INTERVAL_MS: '1000',
    GAVEL_SUT_BATCH_WINDOW_S: '60',
    GAVEL_SUT_BATCH_POLL_S: '0.2',
    ...extra,
  };
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(50);
  }
}

const enqueueArgs = (run: string, n: number, extra: string[] = []): string[] => [
  'enqueue',
  '--format',
  'humaneval',
  '--problems',
  HUMANEVAL,
  '--generate',
  String(n),
  '--sut-family',
  'acme',
  '--run',
  run,
  '--max-tokens',
  '512',
  ...extra,
];

/** The messages a HumanEval problem is asked with (the instruction, then the prompt). */
const humanEvalMessages = (prompt: string) => sutMessages({ prompt, metadata: { format: 'humaneval' } });

/** The prompt tokens the fake counts for a HumanEval problem's messages (⌈chars/4⌉ + 4 each). */
function promptTokensOf(prompt: string): number {
  return humanEvalMessages(prompt).reduce((s, m) => s + Math.ceil(m.content.length / 4) + 4, 0);
}

describe('batch mode of the generate stage', () => {
  it('re-submits errored, expired and failed-validation requests until every sample is generated exactly once', {
    timeout: 180_000,
  }, async () => {
    const sut = await startFakeSut({
      policy: humanEvalPolicy(problems),
      batches: {
        // Batch 0: lines 3, 13, 23, … answer 500 and lines 6, 16, … 429; it expires after 300 lines.
        lineFault: ({ batchIndex, lineIndex }) => {
          if (batchIndex === 0 && lineIndex % 10 === 3)
            return {
              status: 500,
              type: 'server_error',
              message: 'The server had an error while processing your request.',
            };
          if (batchIndex === 0 && lineIndex % 10 === 6)
            return { status: 429, type: 'requests', message: 'Rate limit reached for requests.' };
          // Batch 2: its first line errors again.
          if (batchIndex === 2 && lineIndex === 0)
            return {
              status: 500,
              type: 'server_error',
              message: 'The server had an error while processing your request.',
            };
          return undefined;
        },
        expireAfter: (batchIndex) => (batchIndex === 0 ? 300 : undefined),
        // Batch 1 fails as a whole, before any request runs.
        failValidation: (batchIndex) =>
          batchIndex === 1
            ? {
                code: 'token_limit_exceeded',
                message:
                  'Enqueued token limit reached for sut-model in organization org-fake. Limit: 90,000 enqueued tokens.',
              }
            : undefined,
      },
    });
    const env = envFor(sut);
    const enqueued = await gavel(enqueueArgs('genb-faults', 2, ['--batch']), env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const manifest = RunManifest.parse(JSON.parse((await client.get(store.key('genb-faults', 'manifest'))) ?? '{}'));
    expect(manifest.stages.generate?.mode).toBe('openai-batch');

    const worker = startStageProcess('generate', env);
    try {
      await waitFor(
        async () => (await client.hlen(store.key('genb-faults', 'completions'))) === 328,
        150_000,
        'all 328 completions',
      );
    } finally {
      await worker.stop();
      await sut.close();
    }
    const fake = sut.batches;
    if (!fake) throw new Error('the fake serves no Batch API');
    // Counted by hand from the knobs above. Batch 0 holds all 164 × 2 = 328 requests: of its
    // first 300 lines 30 answer 500 and 30 answer 429, the last 28 expire: 240 succeed, 88 go again.
    // Batch 1 (88) fails validation: all 88 again. Batch 2 (88): 87 succeed, 1 again. Batch 3: 1.
    expect(fake.batches.map((b) => b.status)).toEqual(['expired', 'failed', 'completed', 'completed']);
    expect(fake.batches.map((b) => b.request_counts)).toEqual([
      { total: 328, completed: 240, failed: 88 },
      { total: 0, completed: 0, failed: 0 },
      { total: 88, completed: 87, failed: 1 },
      { total: 1, completed: 1, failed: 0 },
    ]);
    expect(fake.counts.creates).toBe(4);
    // Every (prompt, seed) generated exactly once, and no custom_id answered twice.
    expect(sut.generations.size).toBe(328);
    expect([...sut.generations.values()].every((n) => n === 1)).toBe(true);
    expect(fake.answered.size).toBe(328);
    expect([...fake.answered.values()].every((n) => n === 1)).toBe(true);

    const stored = [...(await store.generation.all('genb-faults')).values()];
    expect(stored.every((c) => c.via === 'batch')).toBe(true);
    const byRequests = new Map<number, number>();
    for (const c of stored) byRequests.set(c.requests, (byRequests.get(c.requests) ?? 0) + 1);
    expect(Object.fromEntries(byRequests)).toEqual({ 1: 240, 3: 87, 4: 1 });

    // Each completion's cost is booked from the usage the batch returned, at half the list price.
    const samples = await Promise.all(
      [...(await store.generation.all('genb-faults')).keys()].map((id) => store.getSample('genb-faults', id)),
    );
    const completions = await store.generation.all('genb-faults');
    let total = 0;
    for (const sample of samples) {
      const c = completions.get(sample.id) as Completion;
      const prompt = sample.kind === 'pair' ? '' : sample.prompt;
      expect(c.usage?.prompt_tokens).toBe(promptTokensOf(prompt));
      expect(c.usage?.completion_tokens).toBe(fakeTokens(c.raw));
      const byHand = (((c.usage?.prompt_tokens ?? 0) * 2 + (c.usage?.completion_tokens ?? 0) * 8) / 1_000_000) * 0.5;
      expect(c.cost_usd).toBeCloseTo(byHand, 15);
      total += byHand;
    }
    // `gavel report` books the same sum, and counts every completion as obtained by batch.
    const report = await gavel(['report', 'genb-faults', '--json'], env);
    expect(report.code, report.stderr).toBe(0);
    const generation = (JSON.parse(report.stdout) as { generation: { cost_usd: number; via: Record<string, number> } })
      .generation;
    expect(generation.cost_usd).toBeCloseTo(total, 12);
    expect(generation.via).toEqual({ batch: 328 });
  });

  it("a failed validation that names a line fails that sample with the reason; the rest go again; gavel retry and Bull Board's retry send it anew", {
    timeout: 120_000,
  }, async () => {
    const sut = await startFakeSut({
      policy: humanEvalPolicy(problems),
      batches: {
        // The first batch, and the batch `gavel retry` sends the failed sample in (the third).
        failValidation: (batchIndex) =>
          batchIndex === 0 || batchIndex === 2
            ? {
                code: 'invalid_request',
                message: "Invalid value for 'max_tokens': too large for this model.",
                line: batchIndex === 0 ? 2 : 1,
              }
            : undefined,
      },
    });
    const env = envFor(sut);
    const enqueued = await gavel(enqueueArgs('genb-invalid', 1, ['--batch']), env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const worker = startStageProcess('generate', env);
    try {
      await waitFor(
        async () =>
          (await client.hlen(store.key('genb-invalid', 'completions'))) === 163 &&
          (await store.getFailures('genb-invalid')).size === 1,
        90_000,
        '163 completions and 1 failure',
      );
      expect(sut.batches?.batches.map((b) => [b.status, b.request_counts.total])).toEqual([
        ['failed', 0],
        ['completed', 163],
      ]);
      const failures = [...(await store.getFailures('genb-invalid')).entries()];
      expect(failures).toHaveLength(1);
      const [failedId, failure] = failures[0] as (typeof failures)[number];
      expect(failure.stage).toBe('generate');
      expect(failure.reason).toContain(
        "failed validation: invalid_request: Invalid value for 'max_tokens': too large for this model. (line 2)",
      );
      expect(await store.generation.completion('genb-invalid', failedId)).toBeUndefined();
      expect(sut.generations.size).toBe(163);

      // `gavel retry` sends the failed request again, in a batch of its own, under a new attempt
      // (refused again here: the fake fails that batch's validation too).
      const retried = await gavel(['retry', 'genb-invalid', '--stage', 'generate'], env);
      expect(retried.code, retried.stderr).toBe(0);
      expect(retried.stderr).toContain('generate: retried 1 failed job(s)');
      await waitFor(
        async () => sut.batches?.batches.length === 3 && (await store.getFailures('genb-invalid')).size === 1,
        60_000,
        'the retried request to fail again',
      );
      expect((await store.getFailures('genb-invalid')).get(failedId)?.reason).toContain('(line 1)');
      // Bull Board's retry (`job.retry('failed')`, @bull-board/api handlers/retryJob.js) sends it once
      // more too: before, the job failed again at once on the request's old answer.
      const queue = stageQueue('generate', { connection: client, prefix: 'gavel' });
      try {
        const failedJobs = await queue.getFailed();
        expect(failedJobs.map((j) => j.data.sampleId)).toEqual([failedId]);
        await failedJobs[0]?.retry('failed');
      } finally {
        await queue.close();
      }
      await waitFor(
        async () => (await client.hlen(store.key('genb-invalid', 'completions'))) === 164,
        60_000,
        'the completion retried from Bull Board',
      );
      expect(await store.getFailures('genb-invalid')).toEqual(new Map());
      expect(sut.batches?.batches.map((b) => [b.status, b.request_counts.total])).toEqual([
        ['failed', 0],
        ['completed', 163],
        ['failed', 0],
        ['completed', 1],
      ]);
      expect((await store.generation.completion('genb-invalid', failedId))?.requests).toBe(3);
    } finally {
      await worker.stop();
      await sut.close();
    }
    expect(sut.generations.size).toBe(164);
    expect([...sut.generations.values()].every((n) => n === 1)).toBe(true);
  });

  it('a worker SIGKILLed between the batch create and its record adopts that batch on restart: no second batch', {
    timeout: 120_000,
  }, async () => {
    let first: StageProcess | undefined;
    const sut = await startFakeSut({
      policy: humanEvalPolicy(problems),
      batches: {
        // The batch exists on the server; the worker that asked dies before it hears the answer.
        onBatchCreated: async (batch) => {
          if (batch.id !== sut.batches?.batches[0]?.id) return;
          first?.child.kill('SIGKILL');
          await first?.exited;
        },
      },
    });
    const env = envFor(sut);
    const enqueued = await gavel(enqueueArgs('genb-kill', 1, ['--batch']), env);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const batches = new BatchStore(store, GENERATE_BATCH_NS);
    try {
      first = startStageProcess('generate', env);
      const exit = await first.exited;
      expect(exit.signal).toBe('SIGKILL');
      // Killed after the create, before the commit: the intent is open, no batch is recorded.
      const intents = await batches.openIntents('genb-kill');
      expect(intents).toHaveLength(1);
      expect(intents[0]?.custom_ids).toHaveLength(164);
      expect(await batches.runBatches('genb-kill')).toEqual([]);
      expect(sut.batches?.counts.creates).toBe(1);

      const second = startStageProcess('generate', env);
      try {
        await waitFor(
          async () => (await client.hlen(store.key('genb-kill', 'completions'))) === 164,
          90_000,
          'all 164 completions',
        );
      } finally {
        await second.stop();
      }
      expect(second.stderr() + second.stdout()).toContain('adopted a batch submitted before a crash');
    } finally {
      await sut.close();
    }
    // One batch, the one created before the kill, adopted; every prompt generated once.
    expect(sut.batches?.counts.creates).toBe(1);
    expect(await batches.runBatches('genb-kill')).toEqual([sut.batches?.batches[0]?.id]);
    expect(await batches.openIntents('genb-kill')).toEqual([]);
    expect(sut.generations.size).toBe(164);
    expect([...sut.generations.values()].every((n) => n === 1)).toBe(true);
    for (const problem of problems.slice(0, 3)) {
      expect(sut.generations.get(generationKey(humanEvalMessages(problem.prompt), 0))).toBe(1);
    }
    // `gavel runs rm` takes the run's batch out of the global claimed set with the rest of the run.
    const adoptedId = sut.batches?.batches[0]?.id as string;
    expect(await batches.isClaimed(adoptedId)).toBe(true);
    const removed = await gavel(['runs', 'rm', 'genb-kill', '--force'], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await batches.isClaimed(adoptedId)).toBe(false);
    expect(await batches.runBatches('genb-kill')).toEqual([]);
  });

  it('an endpoint without the Batch API stops the worker with one line (exit 78), the jobs left for a worker that has one', {
    timeout: 90_000,
  }, async () => {
    const sut = await startFakeSut({ policy: humanEvalPolicy(problems) }); // chat completions only
    const env = envFor(sut);
    try {
      const enqueued = await gavel(enqueueArgs('genb-nobatch', 1, ['--batch']), env);
      expect(enqueued.code, enqueued.stderr).toBe(0);
      const worker = startStageProcess('generate', env);
      const exit = await worker.exited;
      expect(exit.code).toBe(78);
      expect(worker.stderr()).toMatch(
        /SUT batch API at http:\/\/127\.0\.0\.1:\d+: HTTP 404 .*check GAVEL_SUT_URL and GAVEL_SUT_API_KEY/,
      );
      expect(await store.generation.all('genb-nobatch')).toEqual(new Map());
      expect(await store.getFailures('genb-nobatch')).toEqual(new Map());
      expect(sut.counts.completions).toBe(0);
    } finally {
      await sut.close();
    }
  });

  it('--max-cost prices a batch run at the batch share: refused above it with the estimate printed, nothing sent', {
    timeout: 60_000,
  }, async () => {
    const sut = await startFakeSut({ policy: humanEvalPolicy(problems), tokenizer: true, batches: {} });
    const env = envFor(sut);
    try {
      // The bound by hand: 164 prompts × 1, prompt tokens as the fake's tokenizer counts them, at
      // most 164 × 512 output tokens; $2 / $8 per Mtok, half of it in a batch.
      const promptTokens = problems.reduce((s, p) => s + promptTokensOf(p.prompt), 0);
      const onDemand = (promptTokens * 2 + 164 * 512 * 8) / 1_000_000;
      const batch = onDemand / 2;
      const between = ((onDemand + batch) / 2).toFixed(4);

      const sync = await gavel(enqueueArgs('genb-cost-sync', 1, ['--max-cost', between]), env);
      expect(sync.code).toBe(1);
      expect(sync.stderr).toContain(
        `${promptTokens} prompt tokens (the server's tokenizer), at most 83968 output tokens`,
      );
      expect(sync.stderr).toContain(`at most $${onDemand.toFixed(4)} ($2/$8 per Mtok in/out)`);
      expect(sync.stderr).toContain(`--max-cost ${Number(between)}: the run may cost up to $${onDemand.toFixed(4)}`);

      const low = (batch / 2).toFixed(4);
      const refused = await gavel(enqueueArgs('genb-cost-low', 1, ['--batch', '--max-cost', low]), env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `at most $${batch.toFixed(4)} ($2/$8 per Mtok in/out, batch price: 50% of that)`,
      );
      expect(refused.stderr).toContain(
        `the run may cost up to $${batch.toFixed(4)}, above the budget; nothing was sent`,
      );
      for (const run of ['genb-cost-sync', 'genb-cost-low'])
        expect(await client.exists(store.key(run, 'manifest'))).toBe(0);

      // Between the two: within budget only at the batch price.
      const accepted = await gavel(enqueueArgs('genb-cost-ok', 1, ['--batch', '--max-cost', between]), env);
      expect(accepted.code, accepted.stderr).toBe(0);
      const manifest = RunManifest.parse(JSON.parse((await client.get(store.key('genb-cost-ok', 'manifest'))) ?? '{}'));
      expect(manifest.stages.generate?.estimate?.cost_usd).toBeCloseTo(batch, 12);
      expect(manifest.stages.generate?.estimate?.max_cost_usd).toBe(Number(between));
      // Nothing was sent to the SUT by any of it: no completion, no upload, no batch.
      expect(sut.counts.completions).toBe(0);
      expect(sut.batches?.counts.uploads).toBe(0);
      expect(sut.batches?.counts.creates).toBe(0);
    } finally {
      await sut.close();
    }
  });
});
