import type { Completion, GenerateRunConfig } from '@gavel/core';
import { meanPassAtK, type TaskPassCounts } from '@gavel/report';

/** pass@k of one k: the mean over the tasks with at least k graded samples. */
export interface PassAtK {
  k: number;
  value: number;
  tasks: number;
}

/** What `gavel report` says of a generate run. */
export interface GenerationReport {
  model: string | null;
  n: number;
  temperature: number;
  completions: number;
  /** Completions cut by the token limit (finish_reason `length`). */
  truncated: number;
  finish_reasons: Record<string, number>;
  /** How completions were obtained: request, adopted (after a crash), batch. */
  via: Record<string, number>;
  /** Completions that took more than one request (a crash lost an answer the server kept no copy of). */
  reasked: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** What the completions cost (booked per completion from the price table); null without a price. */
  cost_usd: number | null;
  estimate_usd: number | null;
  pass_at_k: PassAtK[];
}

/** The k values reported: 1, 5, 10 and n, those up to n. */
export function reportedKs(n: number): number[] {
  return [...new Set([1, 5, 10, n])].filter((k) => k <= n).sort((a, b) => a - b);
}

/** Pure: the generation report from the stored completions and the graded outcomes per task. */
export function generationReport(
  pinned: GenerateRunConfig,
  completions: ReadonlyMap<string, Completion>,
  tasks: readonly TaskPassCounts[],
): GenerationReport {
  const finish: Record<string, number> = {};
  const via: Record<string, number> = {};
  let truncated = 0;
  let reasked = 0;
  let prompt = 0;
  let output = 0;
  let cost: number | null = null;
  for (const c of completions.values()) {
    const reason = c.finish_reason ?? 'none';
    finish[reason] = (finish[reason] ?? 0) + 1;
    via[c.via] = (via[c.via] ?? 0) + 1;
    if (c.truncated) truncated += 1;
    if (c.requests > 1 && c.via === 'request') reasked += 1;
    prompt += c.usage?.prompt_tokens ?? 0;
    output += c.usage?.completion_tokens ?? 0;
    if (c.cost_usd !== null) cost = (cost ?? 0) + c.cost_usd;
  }
  const passAtK: PassAtK[] = [];
  if (pinned.n > 1) {
    for (const k of reportedKs(pinned.n)) {
      const eligible = tasks.filter((t) => t.n >= k);
      if (eligible.length > 0) passAtK.push({ k, value: meanPassAtK(eligible, k), tasks: eligible.length });
    }
  }
  return {
    model: pinned.model,
    n: pinned.n,
    temperature: pinned.temperature,
    completions: completions.size,
    truncated,
    finish_reasons: finish,
    via,
    reasked,
    prompt_tokens: prompt,
    completion_tokens: output,
    cost_usd: cost,
    estimate_usd: pinned.estimate?.cost_usd ?? null,
    pass_at_k: passAtK,
  };
}
