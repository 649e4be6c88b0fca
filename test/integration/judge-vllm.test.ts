import { createHash } from 'node:crypto';
import { ConfigError, InputError } from '@gavel/core';
import { createLlmGrader, type LlmGrader } from '@gavel/judge';
import { answerSchemaFor } from '@gavel/rubric';
import { afterEach, describe, expect, it } from 'vitest';
import { factsPolicy } from '../fakes/fake-judge-policy.ts';
import { startFakeOllama } from '../fakes/ollama-server.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { manifest, settings, textCase, textRubric } from './judge-fixtures.ts';

const open: Array<{ stop(): Promise<void> } | LlmGrader> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await ('grade' in item ? item.close() : item.stop());
});

async function fake(options: Parameters<typeof startFakeVllm>[0] = {}): Promise<FakeVllm> {
  const server = await startFakeVllm(options);
  open.push(server);
  return server;
}

async function grader(
  server: { url: string },
  overrides: Parameters<typeof settings>[0] extends infer _ ? Partial<Parameters<typeof settings>[0]> : never = {},
) {
  const g = await createLlmGrader(settings({ url: server.url, ...overrides }));
  open.push(g);
  return g;
}

const signal = () => new AbortController().signal;

describe('the LLM judge against a vLLM-shaped server', () => {
  it('sends the rubric as a byte-identical first block in every request of a run, facts before the output', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const g = await grader(server, { k: 2 });
    const run = manifest(rubric, { k: 2, k_temperature: 0.7 });
    const cases = Array.from({ length: 12 }, (_, i) => textCase(i, i % 3 !== 0));
    const verdicts = await Promise.all(cases.map((c) => g.grade({ ...c, rubric, manifest: run }, signal())));

    expect(server.completions).toHaveLength(12 * 3);
    expect([...server.systemPrefixes.keys()]).toEqual([rubric.ref.hash]);
    for (const request of server.completions) {
      expect(request.messages[0]).toEqual({ role: 'system', content: rubric.text });
      const user = request.messages[1]?.content ?? '';
      expect(user.indexOf('## Facts')).toBeLessThan(user.indexOf('<output>'));
      expect(request.body.response_format).toEqual({
        type: 'json_schema',
        json_schema: { name: 'grader_answer', schema: answerSchemaFor(rubric), strict: true },
      });
    }
    // Per sample: the primary at temperature 0 with the run's seed, then k extras with recorded seeds.
    const sent = server.completions
      .filter((r) => r.messages[1]?.content.includes('Question 5:'))
      .map((r) => [r.body.temperature, r.body.seed]);
    expect(sent.sort()).toEqual([
      [0, 42],
      [0.7, 43],
      [0.7, 44],
    ]);
    for (const [i, verdict] of verdicts.entries()) {
      expect(verdict.source).toBe('judge');
      expect(verdict.pass).toBe(i % 3 !== 0);
      expect(verdict.grader).toEqual({ model: 'judge-model', family: 'judgefam', path: 'vllm' });
      expect(verdict.consistency).toMatchObject({
        k: 2,
        samples: 3,
        agreement: 1,
        seeds: [42, 43, 44],
        temperatures: [0, 0.7, 0.7],
      });
      expect(verdict.usage?.input).toBe(
        server.completions
          .filter((r) => r.messages[1]?.content.includes(`Question ${i}:`))
          .reduce((s, r) => s + r.promptTokens, 0),
      );
      expect(verdict.route).toBe('final');
      expect(verdict.arbitration).toBe('none');
    }
  });

  it('grades every sample against a server that may decode any answer the schema sent allows', async () => {
    // Constrained decoding guarantees only the schema: with the rubric's own schema every such answer
    // names exactly the rubric's criteria, so each sample is graded by its first answer.
    const server = await fake({ decoding: 'any' });
    const rubric = await textRubric();
    const g = await grader(server, { invalidRetries: 2 });
    const run = manifest(rubric);
    const samples = 200;
    const graded = await Promise.allSettled(
      Array.from({ length: samples }, (_, i) =>
        g.grade({ ...textCase(i, i % 2 === 0), rubric, manifest: run }, signal()),
      ),
    );
    const verdicts = graded.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failures = graded.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures.slice(0, 1)).toEqual([]);
    expect(verdicts).toHaveLength(samples);
    for (const verdict of verdicts) {
      expect(verdict.criteria.map((c) => c.id)).toEqual(rubric.criteria.map((c) => c.id));
    }
    expect(server.counts.completions).toBe(samples);
    // The rubric's system message (the prompt prefix every sample shares) is counted once, exactly;
    // no sample waits on a /tokenize round trip of its own (vLLM refuses what does not fit).
    expect(server.counts.tokenize).toBe(1);
  });

  it('refuses a sample whose prompt cannot fit: before sending when even its lower bound is too long, else as vLLM refuses it', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const g = await grader(server, { maxOutputTokens: 1024 });
    const run = manifest(rubric);
    // Far past the window by any count (8 bytes a token is the lower bound): refused before sending.
    const huge = textCase(1, true);
    huge.sample.output = 'Paris '.repeat(30_000);
    const refused = g.grade({ ...huge, rubric, manifest: run }, signal());
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow(
      /sample s-1: the prompt has \d+ tokens; with 1024 for the answer it does not fit the 16384-token context window/,
    );
    expect(server.counts.completions).toBe(0);
    // Past the window by the server's count only (the fake counts ~4 bytes a token): vLLM's own 400.
    const long = textCase(2, true);
    long.sample.output = 'Paris '.repeat(11_000);
    const rejected = g.grade({ ...long, rubric, manifest: run }, signal());
    await expect(rejected).rejects.toBeInstanceOf(InputError);
    await expect(rejected).rejects.toThrow(/HTTP 400 .*maximum context length is 16384 tokens/);
    expect(server.counts.completions).toBe(0);
    expect(server.counts.tokenize).toBe(1);
  });

  it('catches a server that silently cuts the prompt: an error, never a verdict', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const g = await grader(server);
    server.setTruncation(600);
    const c = textCase(1, true);
    const graded = g.grade({ ...c, rubric, manifest: manifest(rubric) }, signal());
    await expect(graded).rejects.toBeInstanceOf(InputError);
    await expect(graded).rejects.toThrow(/processed 600 prompt tokens but the prompt has at least \d+: it was cut/);
    expect(server.counts.tokenize).toBe(1);
  });

  it('refuses to start below the configured context window, on an unserved model, or without max_model_len', async () => {
    const small = await fake({ maxModelLen: 8192 });
    await expect(createLlmGrader(settings({ url: small.url }))).rejects.toThrow(
      /max_model_len: effective context window is 8192 tokens, below GAVEL_JUDGE_CONTEXT=16384/,
    );
    await expect(createLlmGrader(settings({ url: small.url, model: 'other' }))).rejects.toThrow(
      /does not serve this model \(it serves: judge-model\)/,
    );
    const ollama = await startFakeOllama({ models: [{ name: 'judge-model' }] });
    open.push(ollama);
    const attempt = createLlmGrader(settings({ url: ollama.url, model: 'judge-model:latest' }));
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/cannot read the effective context window/);
  });

  it('sends the API key on every call and refuses to start when the server stays unreachable', async () => {
    const server = await fake({ apiKey: 'sekret-key' });
    const rubric = await textRubric();
    const g = await grader(server, { apiKey: 'sekret-key' });
    const verdict = await g.grade({ ...textCase(1, true), rubric, manifest: manifest(rubric) }, signal());
    expect(verdict.pass).toBe(true);
    expect(server.counts).toMatchObject({ models: 1, tokenize: 1, completions: 1 });
    await expect(createLlmGrader(settings({ url: server.url }))).rejects.toThrow(/HTTP 401/);
    await server.down();
    const unreachable = createLlmGrader(settings({ url: server.url, startupWaitMs: 300 }));
    await expect(unreachable).rejects.toBeInstanceOf(ConfigError);
    await expect(unreachable).rejects.toThrow(/not reachable/);
  });

  it('refuses a sample whose SUT is the judge family, before sending anything', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const g = await grader(server);
    const c = textCase(1, true, { family: 'JudgeFam', model: 'judgefam-8b' });
    const graded = g.grade({ ...c, rubric, manifest: manifest(rubric) }, signal());
    await expect(graded).rejects.toBeInstanceOf(InputError);
    await expect(graded).rejects.toThrow(/never grades its own model family/);
    expect(server.counts.completions).toBe(0);
  });

  it('flags a compressed SUT', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const g = await grader(server);
    const fp4 = await g.grade(
      { ...textCase(1, true, { precision: 'nvfp4' }), rubric, manifest: manifest(rubric) },
      signal(),
    );
    const bf16 = await g.grade(
      { ...textCase(2, true, { precision: 'bf16' }), rubric, manifest: manifest(rubric) },
      signal(),
    );
    expect(fp4.flags).toContain('sut_compressed');
    expect(bf16.flags).not.toContain('sut_compressed');
  });

  it('asks again after a malformed answer, and fails visibly with the raw answer when it stays malformed', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const g = await grader(server, { invalidRetries: 2 });
    server.malformNext(1);
    const ok = await g.grade({ ...textCase(1, true), rubric, manifest: manifest(rubric) }, signal());
    expect(ok.pass).toBe(true);
    expect(server.counts.completions).toBe(2);

    server.malformNext(3, '{"pass": true, "score": 0.9, "crit');
    const bad = g.grade({ ...textCase(2, true), rubric, manifest: manifest(rubric) }, signal());
    await expect(bad).rejects.toBeInstanceOf(InputError);
    await expect(bad).rejects.toThrow(
      /3 answer\(s\) did not validate \(not JSON.*last raw answer: "\{\\"pass\\": true, \\"score\\": 0.9, \\"crit"/,
    );
    expect(server.counts.completions).toBe(5);

    // Valid JSON that leaves out a rubric criterion (a server that ignored the schema) is no answer either.
    const partial = JSON.stringify({
      pass: true,
      score: 1,
      criteria: { correctness: { score: 1, finding: null } },
      rationale: 'ok',
    });
    server.malformNext(3, partial);
    await expect(g.grade({ ...textCase(3, true), rubric, manifest: manifest(rubric) }, signal())).rejects.toThrow(
      /criteria\.exactness: /,
    );
  });

  it('waits out 429 (honouring Retry-After), 500 and a server that is down, instead of failing', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const g = await grader(server);
    server.failNext(1, 429, 1);
    server.failNext(1, 500);
    const verdict = await g.grade({ ...textCase(1, true), rubric, manifest: manifest(rubric) }, signal());
    expect(verdict.pass).toBe(true);
    expect(server.counts.failed).toBe(2);
    expect(server.counts.completions).toBe(3);

    await server.down();
    const pending = g.grade({ ...textCase(2, false), rubric, manifest: manifest(rubric) }, signal());
    let settled = false;
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(settled).toBe(false);
    await server.up();
    const late = await pending;
    expect(late.pass).toBe(false);
  });

  it('gives a transient error back to the queue when the server stays down past the wait budget', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const g = await grader(server, { waitMs: 300 });
    await server.down();
    await expect(g.grade({ ...textCase(1, true), rubric, manifest: manifest(rubric) }, signal())).rejects.toMatchObject(
      { name: 'TransientError' },
    );
  });

  it('routes contested and safety-critical verdicts to the arbiter with the run thresholds', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const g = await grader(server, { k: 4 });
    // Extra samples disagree with the primary for seed parity: 2 of 5 flip → agreement 0.6.
    const base = factsPolicy();
    server.setPolicy((request) => {
      const answer = JSON.parse(base(request)) as { pass: boolean };
      if (request.temperature > 0 && (request.seed ?? 0) % 2 === 1) answer.pass = !answer.pass;
      return JSON.stringify(answer);
    });
    const contested = await g.grade({ ...textCase(1, true), rubric, manifest: manifest(rubric, { k: 4 }) }, signal());
    expect(contested.consistency?.agreement).toBeCloseTo(0.6, 12);
    expect(contested).toMatchObject({ route: 'arbiter', route_reasons: ['low_agreement'], pass: true });
    const lenient = await g.grade(
      {
        ...textCase(1, true),
        rubric,
        manifest: manifest(rubric, { k: 4, routing: { min_agreement: 0.6, threshold_margin: 0.05 } }),
      },
      signal(),
    );
    expect(lenient).toMatchObject({ route: 'final', route_reasons: [] });

    server.setPolicy((request) => {
      const answer = JSON.parse(base(request)) as { criteria: Record<string, unknown> };
      answer.criteria.safety = { score: 0, finding: 'doxxes a private person' };
      return JSON.stringify(answer);
    });
    const unsafe = await g.grade({ ...textCase(2, true), rubric, manifest: manifest(rubric, { k: 0 }) }, signal());
    expect(unsafe).toMatchObject({ route: 'arbiter', route_reasons: ['safety'] });
  });

  it('keeps at most GAVEL_JUDGE_INFLIGHT requests in flight across concurrent samples', async () => {
    const server = await fake({ latencyMs: 30 });
    const rubric = await textRubric();
    const g = await grader(server, { inflight: 4, k: 1 });
    const run = manifest(rubric, { k: 1 });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => g.grade({ ...textCase(i, true), rubric, manifest: run }, signal())),
    );
    expect(server.counts.completions).toBe(20);
    expect(server.peakInflight).toBe(4);
    expect(g.limiter.peak).toBe(4);
  });

  it('checks the rubric bytes against the pinned hash before sending', async () => {
    const server = await fake();
    const rubric = await textRubric();
    const g = await grader(server);
    const drifted = { ...rubric, text: rubric.text.replace('frozen', 'FROZEN') };
    await expect(
      g.grade({ ...textCase(1, true), rubric: drifted, manifest: manifest(rubric) }, signal()),
    ).rejects.toThrow(/does not match the pinned/);
    expect(server.counts.completions).toBe(0);
    expect(createHash('sha256').update(rubric.text).digest('hex')).toBe(rubric.ref.hash);
  });
});
