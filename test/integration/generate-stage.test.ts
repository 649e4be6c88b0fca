import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Completion, type PointwiseSample, RunManifest, type Sample, silentLogger } from '@gavel/core';
import { createGenerateStage, createSutClient, HUMANEVAL_INSTRUCTION, loadSutConfig } from '@gavel/generate';
import { RunStore, type StageContext, stageQueue } from '@gavel/queue';
import { activeContext } from '@gavel/telemetry';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanEvalOutcome, humanEvalPolicy } from '../fakes/humaneval-sut-policy.ts';
import { type FakeSut, startFakeSut } from '../fakes/openai-sut-server.ts';
import { gavel } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { startStageProcess } from '../support/stage-process.ts';
import { HUMANEVAL, humanEvalProblems } from './sandbox-fixtures.ts';

// The generate stage against a fake OpenAI-compatible SUT, with a real Redis, the real CLI and
// the real worker process: n completions per HumanEval prompt, each stored once before its
// sandbox job, and no completion asked for twice across a SIGKILL where the server keeps answers.

const problems = humanEvalProblems();
let redis: RedisServer;
let client: Redis;
let store: RunStore;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  store = new RunStore(client);
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
    GAVEL_METRICS_PORT: '0',
    GAVEL_LOCK_DURATION_MS: '2000',
    GAVEL_STALLED_INTERVAL_MS: '1000',
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

const completions = (runId: string): Promise<Map<string, Completion>> => store.generation.all(runId);

/** A generated sample is pointwise (text or code). */
function pointwise(sample: Sample): PointwiseSample {
  if (sample.kind === 'pair') throw new Error(`sample ${sample.id} is a pair`);
  return sample;
}

describe('the generate stage', () => {
  it('makes n completions per HumanEval prompt from the problems file alone, stored before each sandbox job', {
    timeout: 120_000,
  }, async () => {
    const sut = await startFakeSut({ policy: humanEvalPolicy(problems), tokenizer: true });
    const prices = join(await mkdtemp(join(tmpdir(), 'gavel-prices-')), 'prices.json');
    await writeFile(prices, JSON.stringify({ 'sut-model': { input_per_mtok: 2, output_per_mtok: 8 } }));
    const env = envFor(sut, { GAVEL_PRICES_FILE: prices });
    try {
      const enqueued = await gavel(
        [
          'enqueue',
          '--format',
          'humaneval',
          '--problems',
          HUMANEVAL,
          '--generate',
          '3',
          '--seed',
          '7',
          '--sut-family',
          'acme',
          '--run',
          'gen-small',
          '--max-tokens',
          '512',
        ],
        env,
      );
      expect(enqueued.code, enqueued.stderr).toBe(0);
      // The estimate is printed before anything is sent, from the server's tokenizer.
      expect(enqueued.stderr).toMatch(
        /estimate: 164 prompts × 3 = 492 completions of sut-model; \d+ prompt tokens \(the server's tokenizer\), at most 251904 output tokens/,
      );
      expect(sut.counts.tokenize).toBe(164);
      expect(sut.counts.completions).toBe(0);
      const manifest = RunManifest.parse(JSON.parse((await client.get(store.key('gen-small', 'manifest'))) ?? '{}'));
      expect(manifest.stages.generate).toMatchObject({
        mode: 'openai-compatible',
        endpoint: sut.url,
        model: 'sut-model',
        family: 'acme',
        n: 3,
        seed: 7,
        temperature: 0.8,
        max_tokens: 512,
        baseline: false,
      });
      expect(await client.hlen(store.key('gen-small', 'samples'))).toBe(492);

      const worker = startStageProcess('generate', env);
      try {
        await waitFor(
          async () => (await client.hlen(store.key('gen-small', 'completions'))) === 492,
          90_000,
          'all completions',
        );
      } finally {
        await worker.stop();
      }
      const sandbox = stageQueue('sandbox', { connection: client, prefix: '{gavel}' });
      const counts = await sandbox.getJobCounts('wait');
      await sandbox.close();
      expect(counts.wait).toBe(492);
      // Every (messages, seed) asked once, seeds 7, 8, 9 per task.
      expect(sut.generations.size).toBe(492);
      expect([...sut.generations.values()].every((n) => n === 1)).toBe(true);

      const stored = await completions('gen-small');
      const zero = pointwise(await store.getSample('gen-small', 'HumanEval_0-0'));
      expect(zero.task_id).toBe('HumanEval/0');
      expect(zero.generation).toEqual({ index: 0, seed: 7 });
      const p0 = problems[0];
      // HumanEval/0 at seed 7: (0 + 7) % 9 ≠ 0 and (0·7 + 7) % 4 ≠ 0 → the canonical solution, bare (odd seed).
      expect(humanEvalOutcome(0, 7)).toBe('correct');
      expect(zero.output).toBe(`${p0?.prompt}${p0?.canonical_solution}`);
      // HumanEval/2 at seed 7: (2 + 7) % 9 = 0 → cut by the token limit, and flagged.
      const cut = stored.get('HumanEval_2-0');
      expect(cut).toMatchObject({ finish_reason: 'length', truncated: true, via: 'request', requests: 1 });
      expect(stored.get('HumanEval_0-1')).toMatchObject({ finish_reason: 'stop', truncated: false });
      // HumanEval/3 at seed 8: (3 + 8) % 9 = 2, (21 + 8) % 4 = 1 → correct, and an even seed answers in a
      // ```python fence: only the code reaches the output.
      expect(humanEvalOutcome(3, 8)).toBe('correct');
      const fenced = stored.get('HumanEval_3-1');
      expect(fenced?.raw).toMatch(/^Here it is:\n\n```python\n/);
      expect(fenced?.text).toBe(problems[3]?.canonical_solution);
      // HumanEval/0 at seed 8: (0 + 8) % 4 = 0 → the wrong answer, fenced too.
      expect(stored.get('HumanEval_0-1')?.text).toBe('    raise NotImplementedError("wrong on purpose")\n');
      expect(stored.get('HumanEval_0-1')?.usage?.completion_tokens).toBeGreaterThan(0);
      // Each completion's cost is booked with it, from its usage at $2/$8 per million tokens.
      for (const c of stored.values()) {
        const usage = c.usage ?? { prompt_tokens: -1, completion_tokens: -1 };
        expect(c.cost_usd).toBeCloseTo((usage.prompt_tokens * 2 + usage.completion_tokens * 8) / 1_000_000, 15);
      }
    } finally {
      await sut.close();
    }
  });

  it('a generate worker SIGKILLed mid-run asks the SUT for no completion twice (the server keeps its answers)', {
    timeout: 240_000,
  }, async () => {
    const sut = await startFakeSut({
      policy: humanEvalPolicy(problems),
      storesCompletions: true,
      latencyMs: () => 150 + Math.floor(Math.random() * 250),
    });
    // A request that never reached the server before the kill is asked again once its deadline
    // (GAVEL_SUT_TIMEOUT_S + GAVEL_SUT_WAIT_S after its intent) has passed; short here.
    const env = envFor(sut, {
      GAVEL_CONCURRENCY: '16',
      GAVEL_SUT_INFLIGHT: '16',
      GAVEL_SUT_TIMEOUT_S: '5',
      GAVEL_SUT_WAIT_S: '1',
    });
    try {
      const enqueued = await gavel(
        [
          'enqueue',
          '--format',
          'humaneval',
          '--problems',
          HUMANEVAL,
          '--generate',
          '5',
          '--sut-family',
          'acme',
          '--run',
          'gen-kill',
        ],
        env,
      );
      expect(enqueued.code, enqueued.stderr).toBe(0);
      const first = startStageProcess('generate', env);
      await waitFor(
        async () => (await client.hlen(store.key('gen-kill', 'completions'))) >= 200 && sut.inflight >= 4,
        60_000,
        '200 completions',
      );
      const inflightAtKill = sut.inflight;
      first.child.kill('SIGKILL');
      await first.exited;
      const storedAtKill = await client.hlen(store.key('gen-kill', 'completions'));
      expect(storedAtKill).toBeLessThan(820);
      const second = startStageProcess('generate', env);
      try {
        await waitFor(
          async () => (await client.hlen(store.key('gen-kill', 'completions'))) === 820,
          180_000,
          'all 820 completions',
        );
      } finally {
        await second.stop();
      }
      // Each of the 820 (prompt, seed) pairs was generated exactly once, the killed ones included.
      expect(sut.generations.size).toBe(820);
      const twice = [...sut.generations.values()].filter((n) => n > 1);
      expect(twice).toEqual([]);
      const stored = [...(await completions('gen-kill')).values()];
      // The answers in flight at the kill were adopted from the server's stored completions.
      const adopted = stored.filter((c) => c.via === 'adopted');
      expect(inflightAtKill).toBeGreaterThan(0);
      expect(adopted.length).toBeGreaterThanOrEqual(1);
      expect(adopted.every((c) => c.requests === 1)).toBe(true);
    } finally {
      await sut.close();
    }
  });

  it('where the server keeps no answers (vLLM), one lost to a SIGKILL is asked again and its completion says so', {
    timeout: 240_000,
  }, async () => {
    const sut = await startFakeSut({
      policy: humanEvalPolicy(problems),
      latencyMs: () => 200 + Math.floor(Math.random() * 200),
    });
    const env = envFor(sut, { GAVEL_CONCURRENCY: '16', GAVEL_SUT_INFLIGHT: '16' });
    try {
      const enqueued = await gavel(
        [
          'enqueue',
          '--format',
          'humaneval',
          '--problems',
          HUMANEVAL,
          '--generate',
          '2',
          '--sut-family',
          'acme',
          '--run',
          'gen-vllm',
        ],
        env,
      );
      expect(enqueued.code, enqueued.stderr).toBe(0);
      const first = startStageProcess('generate', env);
      await waitFor(
        async () => (await client.hlen(store.key('gen-vllm', 'completions'))) >= 60 && sut.inflight >= 4,
        60_000,
        '60 completions',
      );
      first.child.kill('SIGKILL');
      await first.exited;
      const second = startStageProcess('generate', env);
      try {
        await waitFor(
          async () => (await client.hlen(store.key('gen-vllm', 'completions'))) === 328,
          180_000,
          'all 328 completions',
        );
      } finally {
        await second.stop();
      }
      const stored = [...(await completions('gen-vllm')).values()];
      const again = stored.filter((c) => c.requests > 1);
      const generatedTwice = [...sut.generations.values()].filter((n) => n > 1).length;
      // The server generated those in flight at the kill twice, and each such completion records that it
      // was asked again (one whose request had not reached the server yet records it too: it cannot know).
      expect(generatedTwice).toBeGreaterThan(0);
      expect([...sut.generations.values()].every((n) => n <= 2)).toBe(true);
      expect(again.length).toBeGreaterThanOrEqual(generatedTwice);
      expect(again.every((c) => c.via === 'request' && c.requests === 2)).toBe(true);
    } finally {
      await sut.close();
    }
  });

  it('a crash between the answer and the store write is adopted on retry, not asked again', {
    timeout: 60_000,
  }, async () => {
    const sut = await startFakeSut({ policy: humanEvalPolicy(problems), storesCompletions: true });
    const env = envFor(sut);
    try {
      const enqueued = await gavel(
        [
          'enqueue',
          '--format',
          'humaneval',
          '--problems',
          HUMANEVAL,
          '--generate',
          '1',
          '--sut-family',
          'acme',
          '--run',
          'gen-window',
        ],
        env,
      );
      expect(enqueued.code, enqueued.stderr).toBe(0);
      const config = loadSutConfig(env);
      if (!config) throw new Error('no SUT config');
      const client2 = new Redis(redis.url);
      const crashing = new RunStore(client2);
      const sandbox = stageQueue('sandbox', { connection: client2, prefix: '{gavel}' });
      const processor = createGenerateStage({ sut: await createSutClient(config), sandbox });
      // The process dies right after the SUT answered: the store write never happens.
      const write = crashing.generation.putCompletion.bind(crashing.generation);
      crashing.generation.putCompletion = async () => {
        throw new Error('process killed before the store write');
      };
      const context = (): StageContext => ({
        signal: new AbortController().signal,
        store: crashing,
        log: silentLogger,
        job: {} as Job<{ runId: string; sampleId: string }>,
        trace: activeContext(),
        retried: false,
      });
      const payload = { runId: 'gen-window', sampleId: 'HumanEval_5-0' };
      await expect(processor(payload, context())).rejects.toThrow(/killed before the store write/);
      expect(sut.counts.completions).toBe(1);
      expect(await crashing.generation.intent('gen-window', 'HumanEval_5-0')).toMatchObject({ requests: 1 });
      crashing.generation.putCompletion = write;
      await processor(payload, context());
      expect(sut.counts.completions).toBe(1);
      expect(sut.counts.lists).toBeGreaterThanOrEqual(2); // the probe, then the adoption's lookup
      const stored = await crashing.generation.completion('gen-window', 'HumanEval_5-0');
      expect(stored).toMatchObject({ via: 'adopted', requests: 1 });
      expect(pointwise(await crashing.getSample('gen-window', 'HumanEval_5-0')).output).toBe(
        `${problems[5]?.prompt}${stored?.text}`,
      );
      await sandbox.close();
      client2.disconnect();
    } finally {
      await sut.close();
    }
  });
});

describe('gavel enqueue --generate before anything is sent', () => {
  it('--max-cost refuses a run above budget with the estimate printed, and sends nothing', {
    timeout: 60_000,
  }, async () => {
    const sut = await startFakeSut({ policy: humanEvalPolicy(problems) });
    const prices = join(await mkdtemp(join(tmpdir(), 'gavel-prices-')), 'prices.json');
    await writeFile(prices, JSON.stringify({ 'sut-model': { input_per_mtok: 2, output_per_mtok: 8 } }));
    const env = envFor(sut, { GAVEL_PRICES_FILE: prices });
    try {
      const args = [
        'enqueue',
        '--format',
        'humaneval',
        '--problems',
        HUMANEVAL,
        '--generate',
        '5',
        '--sut-family',
        'acme',
      ];
      // No tokenizer on this server: the prompts are approximated, 4 characters a token + 4 a message.
      const perPrompt = problems.map((p) =>
        [HUMANEVAL_INSTRUCTION, p.prompt].reduce((s, text) => s + Math.ceil(text.length / 4) + 4, 0),
      );
      const promptTokens = 5 * perPrompt.reduce((s, t) => s + t, 0);
      const maxOutput = 820 * 1024;
      const bound = (promptTokens * 2 + maxOutput * 8) / 1_000_000;
      const refused = await gavel([...args, '--run', 'gen-budget', '--max-cost', (bound * 0.9).toFixed(4)], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `estimate: 164 prompts × 5 = 820 completions of sut-model; ${promptTokens} prompt tokens (approximated: 4 characters a token), at most ${maxOutput} output tokens; at most $${bound.toFixed(4)} ($2/$8 per Mtok in/out)`,
      );
      expect(refused.stderr).toMatch(
        /--max-cost [\d.]+: the run may cost up to \$[\d.]+, above the budget; nothing was sent/,
      );
      expect(await client.exists(store.key('gen-budget', 'manifest'))).toBe(0);
      expect(sut.counts.completions).toBe(0);

      const allowed = await gavel([...args, '--run', 'gen-budget', '--max-cost', (bound * 1.1).toFixed(4)], env);
      expect(allowed.code, allowed.stderr).toBe(0);
      const manifest = RunManifest.parse(JSON.parse((await client.get(store.key('gen-budget', 'manifest'))) ?? '{}'));
      expect(manifest.stages.generate?.estimate).toEqual({
        prompt_tokens: promptTokens,
        counted: 'approximation',
        max_output_tokens: maxOutput,
        cost_usd: expect.closeTo(bound, 12),
        max_cost_usd: Number((bound * 1.1).toFixed(4)),
      });
    } finally {
      await sut.close();
    }
  });

  it('refuses a compressed SUT unless it is an open-weight baseline, and records that in the manifest', {
    timeout: 60_000,
  }, async () => {
    const sut = await startFakeSut({ policy: humanEvalPolicy(problems) });
    const env = envFor(sut);
    try {
      const args = [
        'enqueue',
        '--format',
        'humaneval',
        '--problems',
        HUMANEVAL,
        '--generate',
        '1',
        '--sut-family',
        'acme',
        '--sut-precision',
        'fp4',
      ];
      const refused = await gavel([...args, '--run', 'gen-fp4'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /SUT sut-model is declared fp4: a system under test runs at full precision.*--baseline/,
      );
      expect(await client.exists(store.key('gen-fp4', 'manifest'))).toBe(0);
      const baseline = await gavel([...args, '--run', 'gen-fp4', '--baseline'], env);
      expect(baseline.code, baseline.stderr).toBe(0);
      const manifest = RunManifest.parse(JSON.parse((await client.get(store.key('gen-fp4', 'manifest'))) ?? '{}'));
      expect(manifest.stages.generate).toMatchObject({ precision: 'fp4', baseline: true });
      expect(pointwise(await store.getSample('gen-fp4', 'HumanEval_0-0')).sut).toEqual({
        model: 'sut-model',
        family: 'acme',
        precision: 'fp4',
      });
    } finally {
      await sut.close();
    }
  });
});
