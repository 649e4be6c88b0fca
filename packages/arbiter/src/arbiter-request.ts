import type { Facts, Sample, Verdict } from '@gavel/core';

/** A text block of the request's `system`, optionally the end of the cached prefix. */
export interface SystemBlock {
  type: 'text';
  text: string;
  cache_control?: { type: 'ephemeral'; ttl: '5m' | '1h' };
}

/** A Messages request as sent (inside a batch as `params`, or on its own). */
export interface ArbiterRequestParams {
  model: string;
  max_tokens: number;
  temperature: number;
  system: SystemBlock[];
  messages: { role: 'user'; content: string }[];
}

export interface ArbiterRequestInput {
  model: string;
  maxTokens: number;
  cacheTtl: '5m' | '1h';
  rubricText: string;
  sample: Sample;
  facts: Facts | undefined;
  judgement: Verdict;
}

export const ARBITER_INSTRUCTIONS = [
  'You are the arbiter of a grading pipeline. A local judge graded the output below against the rubric above;',
  'its verdict was contested or safety-critical. Decide it yourself. The facts were measured by running the',
  'code in a sandbox and are true; trust them over any claim in the output.',
  'Answer with one JSON object and nothing else:',
  '{"pass": boolean, "score": number 0..1, "criteria": [{"id": string, "score": number 0..1, "finding": string|null}], "rationale": string}',
].join('\n');

/**
 * The system blocks every arbiter request starts with: the rubric's exact bytes as the cached
 * block, then the fixed instructions. A priming call must send the same blocks to warm the cache.
 */
export function arbiterSystem(rubricText: string, cacheTtl: '5m' | '1h'): SystemBlock[] {
  return [
    { type: 'text', text: rubricText, cache_control: { type: 'ephemeral', ttl: cacheTtl } },
    { type: 'text', text: ARBITER_INSTRUCTIONS },
  ];
}

/** The request for one routed sample: facts first, then the judge's verdict, the task and the output. */
export function buildArbiterRequest(input: ArbiterRequestInput): ArbiterRequestParams {
  const { sample, facts, judgement } = input;
  const reasons = judgement.route_reasons.length > 0 ? judgement.route_reasons.join(', ') : 'none given';
  const content = [
    '## Facts',
    facts ? JSON.stringify(facts) : '(no facts recorded)',
    '',
    `## The judge's verdict (routed: ${reasons})`,
    JSON.stringify({ pass: judgement.pass, score: judgement.score, criteria: judgement.criteria }),
    '',
    "## The judge's rationale",
    judgement.rationale,
    '',
    `## Task${sample.task_id ? ` (${sample.task_id})` : ''}`,
    sample.prompt,
    '',
    '## Output to grade',
    sample.output,
  ].join('\n');
  return {
    model: input.model,
    max_tokens: input.maxTokens,
    temperature: 0,
    system: arbiterSystem(input.rubricText, input.cacheTtl),
    messages: [{ role: 'user', content }],
  };
}

/** The priming request: the same system blocks, a one-token answer. */
export function buildPrimingRequest(model: string, rubricText: string, cacheTtl: '5m' | '1h'): ArbiterRequestParams {
  return {
    model,
    max_tokens: 1,
    temperature: 0,
    system: arbiterSystem(rubricText, cacheTtl),
    messages: [{ role: 'user', content: 'Reply with OK.' }],
  };
}

/** A rough token count (4 characters a token) to decide whether a prefix is long enough to cache. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
