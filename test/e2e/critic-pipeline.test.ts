import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRITIQUE_INSTRUCTION } from '@gavel/judge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeBatchesServer, startFakeAnthropicBatches } from '../fakes/anthropic-batches-server.ts';
import { blockText, DEFAULT_FAKE_ANSWER } from '../fakes/anthropic-messages-model.ts';
import { factsPolicy, type JudgePolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { gavel, jsonl, startWorkers, textSample } from '../support/gavel.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

// Self-critique by a configured critic of another family (GAVEL_CRITIC_*), through the running
// pipeline: the judge fake answers once per sample and is never asked to critique; the critic fake
// answers both passes (GAVEL_JUDGE_CRITIQUE=2); every pass names the critic; the flips go to the
// arbiter on the Batches fake; `gavel report` counts them.

/** What the judge said, as the critic reads it (the assistant's turn before the critique request). */
const answered = (request: Parameters<JudgePolicy>[0]) =>
  JSON.parse(request.messages.at(-2)?.content ?? '{}') as { pass: boolean; score: number; rationale: string };

/**
 * The critic: on its first pass it reverses Questions 1, 3 and 4; on its second pass it reverses
 * Question 4 back (its revision of a revision) and confirms everything else.
 */
const critic: JudgePolicy = (request) => {
  const last = request.messages.at(-1);
  if (last?.role !== 'user' || last.content !== CRITIQUE_INSTRUCTION) throw new Error('the critic only critiques');
  const before = answered(request);
  const user = request.messages[1]?.content ?? '';
  const second = before.rationale.startsWith('Critic revised');
  const flip = second ? /Question 4:/.test(user) : /Question [134]:/.test(user);
  if (!flip) return JSON.stringify(before);
  return JSON.stringify({
    ...before,
    pass: !before.pass,
    score: 1 - before.score,
    rationale: `Critic revised (${second ? 2 : 1}).`,
  });
};

/** The judge answers the rubric; asked to critique (it must not be: the critic does), it says so loudly. */
const judge: JudgePolicy = (request) => {
  if (request.messages.at(-1)?.content === CRITIQUE_INSTRUCTION) return 'the judge was asked to critique';
  return factsPolicy()(request);
};

let redis: RedisServer;
let judgeServer: FakeVllm;
let criticServer: FakeVllm;
let batches: FakeBatchesServer;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  judgeServer = await startFakeVllm({ model: 'judge-model', policy: judge });
  criticServer = await startFakeVllm({ model: 'critic-model', policy: critic });
  // The arbiter fails Questions 1 and 3: for Q3 (Paris, revised to fail) that is the revision, for
  // Q1 (London, revised to pass) the original.
  batches = await startFakeAnthropicBatches({
    apiKey: 'sk-ant-critic',
    processingMs: 300,
    answer: (params, info) => {
      const base = DEFAULT_FAKE_ANSWER(params) as Record<string, unknown>;
      if (info.where === 'message') return base;
      const criteria = Object.fromEntries(
        Object.keys((base.criteria ?? {}) as Record<string, unknown>).map((id) => [
          id,
          { score: 0.1, finding: 'wrong' },
        ]),
      );
      const text = blockText(params.messages[0]?.content);
      return /Question [13]:/.test(text)
        ? { pass: false, score: 0.1, criteria, rationale: 'The arbiter finds it wrong.' }
        : base;
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'gavel-critic-'));
});

afterAll(async () => {
  await judgeServer?.stop();
  await criticServer?.stop();
  await batches?.stop();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a configured critic of another family', () => {
  const env = () => ({
    GAVEL_REDIS_URL: redis.url,
    GAVEL_LOG_LEVEL: 'warn',
    GAVEL_JUDGE: 'vllm',
    GAVEL_JUDGE_URL: judgeServer.url,
    GAVEL_JUDGE_MODEL: 'judge-model',
    GAVEL_JUDGE_FAMILY: 'judgefam',
    GAVEL_JUDGE_CRITIQUE: '2',
    GAVEL_CRITIC_URL: criticServer.url,
    GAVEL_CRITIC_MODEL: 'critic-model',
    GAVEL_CRITIC_FAMILY: 'criticfam',
    GAVEL_ARBITER: 'anthropic-batch',
    GAVEL_ARBITER_MODEL: 'claude-sonnet-4-6',
    GAVEL_ARBITER_URL: batches.url,
    GAVEL_ARBITER_API_KEY: 'sk-ant-critic',
    GAVEL_ARBITER_POLL_S: '0.3',
    GAVEL_ARBITER_BATCH_WINDOW_S: '1',
  });

  it('is refused at enqueue when it is of the SUT family: per line for a dataset, once for a generate run', async () => {
    const file = join(dir, 'clash.jsonl');
    await writeFile(file, jsonl([textSample(0), textSample(1, { sut: { model: 'crit-7b', family: 'CriticFam' } })]));
    const lines = await gavel(['enqueue', file, '--run', 'run-critic-clash'], env());
    expect(lines.code).toBe(1);
    expect(lines.stderr).toContain(
      `${file}:2: sut.family: critic family "criticfam" is the family of the system under test (crit-7b, family "CriticFam")`,
    );
    expect(lines.stderr).not.toContain(`${file}:1:`);
    const prompts = join(dir, 'prompts.jsonl');
    await writeFile(
      prompts,
      jsonl([
        { id: 'p-0', kind: 'text', prompt: 'one' },
        { id: 'p-1', kind: 'text', prompt: 'two' },
      ]),
    );
    const generate = await gavel(
      ['enqueue', prompts, '--generate', '2', '--sut-family', 'criticfam', '--run', 'run-critic-gen'],
      { ...env(), GAVEL_SUT_URL: 'http://127.0.0.1:9', GAVEL_SUT_MODEL: 'crit-7b' },
    );
    expect(generate.code).toBe(1);
    expect(generate.stderr.trim().split('\n')).toEqual([
      'gavel enqueue: critic family "criticfam" is the family of the system under test (crit-7b, family "criticfam"); a critic never grades its own model family — choose a critic from another family (GAVEL_CRITIC_FAMILY)',
    ]);
  });

  it('critiques every chain in place of the judge, is recorded in every pass, and the report counts flips by hand', {
    timeout: 240_000,
  }, async () => {
    // Outputs: Q0 Paris, Q1 London, Q2 Berlin, Q3 Paris, Q4 London, Q5 Berlin (reference Paris).
    const file = join(dir, 'critic.jsonl');
    await writeFile(file, jsonl(Array.from({ length: 6 }, (_, i) => textSample(i))));
    expect((await gavel(['enqueue', file, '--run', 'run-critic'], env())).code).toBe(0);
    const workers = startWorkers(env(), ['--stages', 'sandbox,judge,arbiter-submit,arbiter-collect']);
    let output = '';
    try {
      const waited = await gavel(['wait', 'run-critic', '--timeout', '180'], env(), 200_000);
      output = waited.stdout + waited.stderr + workers.output();
      expect(waited.code, output).toBe(0);
    } finally {
      await workers.stop();
    }
    // The judge answered each sample once and critiqued nothing; the critic made both passes of all 6.
    expect(judgeServer.counts.completions, output).toBe(6);
    expect(criticServer.counts.completions, output).toBe(12);
    const out = join(dir, 'out.jsonl');
    expect((await gavel(['export', 'run-critic', '--out', out], env())).code).toBe(0);
    const records = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const byId = new Map(records.map((r) => [r.sample_id, r]));
    for (const r of records) {
      const chain = (r.judge_verdict ?? r.verdict).critique;
      expect(chain.passes, r.sample_id).toHaveLength(2);
      for (const pass of chain.passes)
        expect(pass.by).toEqual({ model: 'critic-model', family: 'criticfam', path: 'vllm' });
    }
    for (const id of ['s-1', 's-3']) {
      const r = byId.get(id);
      expect(r.judge_verdict.critique.flipped, id).toBe(true);
      expect(r.judge_verdict.route_reasons).toContain('critique_flip');
      expect(r.verdict.source).toBe('arbiter');
      expect(r.verdict.pass).toBe(false);
    }
    // Q4 was changed by the first pass and changed back by the second: not flipped, not routed.
    const q4 = byId.get('s-4');
    expect(q4.verdict.critique.passes.map((p: { changed: boolean }) => p.changed)).toEqual([true, true]);
    expect(q4.verdict.critique.flipped).toBe(false);
    expect(q4.route).toBe('final');
    // By hand: 6 chains; flipped Q1, Q3 (2/6); changed Q1, Q3, Q4 (3/6); both flips arbitrated, the
    // arbiter siding with the revision on Q3 only (1/2).
    const report = await gavel(['report', 'run-critic', '--json'], env());
    expect(JSON.parse(report.stdout).critique).toEqual({
      chains: 6,
      flipped: 2,
      flip_rate: 2 / 6,
      changed: 3,
      change_rate: 3 / 6,
      arbitrated_flips: 2,
      arbiter_sided_with_revision: 1,
      revision_agreement: 0.5,
    });
    const text = await gavel(['report', 'run-critic'], env());
    expect(text.stdout).toContain(
      'self-critique: 6 chains, verdict flipped in 2 (33.3%), anything changed in 3 (50.0%); the arbiter sided with the revision in 1 of 2 arbitrated flips (50.0%)',
    );
  });
});
