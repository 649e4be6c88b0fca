import { CRITIQUE_INSTRUCTION, createLlmGrader, type LlmGrader } from '@gavel/judge';
import { afterEach, describe, expect, it } from 'vitest';
import { factsPolicy, type JudgePolicy } from '../fakes/fake-judge-policy.ts';
import { type FakeVllm, startFakeVllm } from '../fakes/vllm-server.ts';
import { manifest, settings, textCase, textRubric } from './judge-fixtures.ts';

// Self-critique chains (GAVEL_JUDGE_CRITIQUE) against the vLLM-shaped fake: every pass is recorded,
// each behind the same byte-identical rubric prefix, and a critique that flips the verdict routes it.

const open: Array<FakeVllm | LlmGrader> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await ('grade' in item ? item.close() : item.stop());
});

/**
 * The careful fake judge, but asked to critique its answer on "Question 1:" it reverses the verdict
 * once (the first critique), and confirms any answer it is asked about again.
 */
const critical: JudgePolicy = (request) => {
  const last = request.messages.at(-1);
  if (last?.role !== 'user' || last.content !== CRITIQUE_INSTRUCTION) return factsPolicy()(request);
  const answered = JSON.parse(request.messages.at(-2)?.content ?? '{}') as {
    pass: boolean;
    score: number;
    rationale: string;
  };
  const onQuestion1 = request.messages[1]?.content.includes('Question 1:') ?? false;
  const revised = answered.rationale === 'On reflection the verdict was wrong.';
  if (!onQuestion1 || revised) return JSON.stringify(answered);
  return JSON.stringify({
    ...answered,
    pass: !answered.pass,
    score: 1 - answered.score,
    rationale: 'On reflection the verdict was wrong.',
  });
};

describe('self-critique chains', () => {
  it('records every pass, routes a flipped verdict to the arbiter, and keeps the rubric prefix', async () => {
    const server = await startFakeVllm({ policy: critical });
    open.push(server);
    const rubric = await textRubric();
    const g = await createLlmGrader(settings({ url: server.url, critique: 2 }));
    open.push(g);
    const run = manifest(rubric, { critique: 2 });
    const cases = [textCase(0, true), textCase(1, true), textCase(2, false)];
    const [kept, flipped, failed] = await Promise.all(
      cases.map((c) => g.grade({ ...c, rubric, manifest: run }, new AbortController().signal)),
    );

    // 3 samples × (1 answer + 2 critiques); every request starts with the rubric, byte for byte.
    expect(server.completions).toHaveLength(9);
    expect([...server.systemPrefixes.keys()]).toEqual([rubric.ref.hash]);
    const critiques = server.completions.filter((r) => r.messages.at(-1)?.content === CRITIQUE_INSTRUCTION);
    expect(critiques).toHaveLength(6);
    for (const r of critiques) expect(r.messages[0]).toEqual({ role: 'system', content: rubric.text });
    // Each critique reads the answer before it as the assistant's turn: the second one, the first critique's.
    for (const r of critiques) expect(r.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    const q1 = critiques.filter((r) => r.messages[1]?.content.includes('Question 1:'));
    expect(q1.map((r) => JSON.parse(r.messages[2]?.content ?? '{}').rationale)).toEqual([
      expect.stringMatching(/^Fake judge/),
      'On reflection the verdict was wrong.',
    ]);

    expect(kept?.critique).toMatchObject({ flipped: false, passes: [{ changed: false }, { changed: false }] });
    expect(kept).toMatchObject({ pass: true, route: 'final' });
    expect(failed).toMatchObject({ pass: false, critique: { flipped: false } });

    // The first critique reversed Question 1's pass; the second confirmed the revision.
    expect(flipped?.critique?.original.pass).toBe(true);
    expect(flipped?.critique?.passes.map((p) => [p.pass, p.changed])).toEqual([
      [false, true],
      [false, false],
    ]);
    expect(flipped?.critique?.flipped).toBe(true);
    expect(flipped).toMatchObject({ pass: false, rationale: 'On reflection the verdict was wrong.', route: 'arbiter' });
    expect(flipped?.route_reasons).toContain('critique_flip');
    // Usage counts every request of the chain.
    const all1 = server.completions.filter((r) => r.messages[1]?.content.includes('Question 1:'));
    expect(flipped?.usage?.input).toBe(all1.reduce((s, r) => s + r.promptTokens, 0));
  });

  it('sends no critique at GAVEL_JUDGE_CRITIQUE=0', async () => {
    const server = await startFakeVllm({ policy: critical });
    open.push(server);
    const rubric = await textRubric();
    const g = await createLlmGrader(settings({ url: server.url }));
    open.push(g);
    const verdict = await g.grade(
      { ...textCase(1, true), rubric, manifest: manifest(rubric) },
      new AbortController().signal,
    );
    expect(server.completions).toHaveLength(1);
    expect(verdict.critique).toBeUndefined();
    expect(verdict).toMatchObject({ pass: true, route: 'final' });
  });
});
