import { type Facts, GAVEL_VERSION, RunManifest, type Sample, type Verdict } from '@gavel/core';
import type { RunStore } from '@gavel/queue';
import type { LoadedRubric } from '@gavel/rubric';
import { textCase } from './judge-fixtures.ts';

export const ARBITER_MODEL = 'claude-sonnet-4-6';
export const API_KEY = 'sk-ant-test-not-a-secret';

/** Worker environment for the Batches arbiter on the fake at `url`, with a short window and poll (e2e runs). */
export function batchArbiterEnv(url: string, apiKey: string): Record<string, string> {
  return {
    GAVEL_ARBITER: 'anthropic-batch',
    GAVEL_ARBITER_MODEL: ARBITER_MODEL,
    GAVEL_ARBITER_FAMILY: 'claude',
    GAVEL_ARBITER_URL: url,
    GAVEL_ARBITER_API_KEY: apiKey,
    GAVEL_ARBITER_POLL_S: '0.3',
    GAVEL_ARBITER_BATCH_WINDOW_S: '1',
  };
}

export function judgement(sample: Sample, routed: boolean): Verdict {
  return {
    pass: true,
    score: 0.52,
    rationale: `The judge leans pass on ${sample.id}.`,
    criteria: [{ id: 'correctness', score: 0.52, finding: null }],
    source: 'judge',
    facts_only: false,
    route: routed ? 'arbiter' : 'final',
    route_reasons: routed ? ['near_threshold'] : [],
    arbitration: 'none',
    flags: [],
    grader: { model: 'judge-model', family: 'judgefam', path: 'vllm' },
    consistency: null,
    arbiter: null,
    judge_verdict: null,
    usage: null,
    decided_at: new Date().toISOString(),
  };
}

/**
 * Seeds a run as the judge stage leaves it: every sample judged, every `routeEvery`-th routed to
 * the arbiter (judgement only), the rest with their final verdict. Returns the routed ids.
 */
export async function seedJudgedRun(
  store: RunStore,
  rubric: LoadedRubric,
  runId: string,
  samples: number,
  routeEvery: number,
  arbiter: RunManifest['stages']['arbiter'] = { mode: 'anthropic-batch', model: ARBITER_MODEL, family: 'claude' },
): Promise<{ routed: string[]; cases: { sample: Sample; facts: Facts }[] }> {
  const manifest = RunManifest.parse({
    run_id: runId,
    created_at: new Date().toISOString(),
    gavel_version: GAVEL_VERSION,
    dataset: { format: 'jsonl', files: [], sha256: '0'.repeat(64), samples, skipped_invalid: 0 },
    rubrics: { [rubric.kind]: rubric.ref },
    stages: {
      sandbox: {},
      judge: { mode: 'vllm', model: 'judge-model', family: 'judgefam' },
      arbiter,
    },
  });
  await store.createRun(manifest);
  await store.putRubricText(rubric.ref, rubric.text);
  const cases = Array.from({ length: samples }, (_, i) => textCase(i, i % 2 === 0));
  await store.putSamples(
    runId,
    cases.map((c) => c.sample),
  );
  const routed: string[] = [];
  for (const [i, c] of cases.entries()) {
    await store.putFacts(runId, c.sample.id, c.facts);
    const isRouted = i % routeEvery === 0;
    const v = judgement(c.sample, isRouted);
    await store.putJudgement(runId, c.sample.id, v);
    if (isRouted) routed.push(c.sample.id);
    else await store.putFinalVerdict(runId, c.sample.id, v);
  }
  return { routed, cases };
}

export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A failure mix by request position on first sight; a request sent again always succeeds. */
export function mixedOutcome(request: { index: number; seen: number }): 'succeeded' | 'errored' | 'expired' {
  if (request.seen > 0) return 'succeeded';
  if (request.index % 5 === 1) return 'errored';
  if (request.index % 5 === 3) return 'expired';
  return 'succeeded';
}
